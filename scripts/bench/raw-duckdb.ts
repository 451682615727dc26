/**
 * The baseline: what plain DuckDB needs for the same job on local files, in a fresh in-memory database
 * with ferry's memory limit and DuckDB's default threads. Read day 2 (read_csv with explicit VARCHAR
 * columns, no sniffing), rename + cast, hash-join against the day-1 snapshot (key + md5 row hash in
 * Parquet, prepared beforehand and not timed), COPY the added and changed rows to CSV, write the new
 * snapshot. The row hash is md5 over to_json of the output row, as in ferry, so both classify rows the
 * same way; the key is the id column itself (ferry compares a JSON rendering of the key).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent as q, quoteLiteral } from '../../engine/duckdb/sql.js';
import { BENCH_COLUMNS } from './generate-data.js';
import { CAST, DIFF_KEY, RENAME } from './ferry-project.js';

export const MEMORY_LIMIT = '1GB';

export interface RawResult {
  seconds: number;
  written: number;
  removed: number;
  statements: Array<{ label: string; seconds: number }>;
}

export function readCsv(path: string): string {
  const columns = BENCH_COLUMNS.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ');
  return `read_csv(${quoteLiteral(path)}, auto_detect = false, header = true, columns = {${columns}}, delim = ',', quote = '"', escape = '"', nullstr = '', strict_mode = true)`;
}

/** Output columns after the rename, with the cast applied. */
export function mappedSelect(): string {
  return BENCH_COLUMNS.map((c) => {
    if (c === CAST.column) return `TRY_CAST(${q(c)} AS ${CAST.type}) AS ${q(c)}`;
    if (c === RENAME.from) return `${q(c)} AS ${q(RENAME.to)}`;
    return q(c);
  }).join(', ');
}

export function outputColumns(): string[] {
  return BENCH_COLUMNS.map((c) => (c === RENAME.from ? RENAME.to : c));
}

export function rowHash(): string {
  return `md5(CAST(to_json({${outputColumns()
    .map((c) => `${quoteLiteral(c)}: ${q(c)}`)
    .join(', ')}}) AS VARCHAR))`;
}

export async function open(dir: string): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET memory_limit = ${quoteLiteral(MEMORY_LIMIT)}`);
  await connection.run(`SET temp_directory = ${quoteLiteral(join(dir, 'spill'))}`);
  return { instance, connection };
}

export async function scalar(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** The day-1 snapshot (id + row hash), as ferry would have left it. Not timed. */
export async function prepareRawSnapshot(options: { dir: string; day1Path: string }): Promise<string> {
  const snapshot = join(options.dir, 'day1-snapshot.parquet');
  const { instance, connection } = await open(options.dir);
  try {
    await connection.run(
      `COPY (SELECT ${q(DIFF_KEY)}, ${rowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(options.day1Path)})) TO ${quoteLiteral(snapshot)} (FORMAT parquet)`,
    );
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
  return snapshot;
}

/** The timed baseline. */
export async function runRawDuckDb(options: {
  dir: string;
  day2Path: string;
  previousSnapshot: string;
}): Promise<RawResult> {
  const { dir } = options;
  const output = join(dir, 'changed.csv');
  const snapshot = join(dir, 'day2-snapshot.parquet');
  const previous = `read_parquet(${quoteLiteral(options.previousSnapshot)})`;
  const statements: RawResult['statements'] = [];
  const started = performance.now();
  const { instance, connection } = await open(dir);
  const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await run();
    } finally {
      statements.push({ label, seconds: (performance.now() - start) / 1000 });
    }
  };
  try {
    await timed('read day 2 + map + hash', () =>
      connection.run(
        `CREATE TABLE cur AS SELECT *, ${rowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(options.day2Path)})`,
      ),
    );
    const written = await timed('hash join + COPY added/changed to CSV', () =>
      scalar(
        connection,
        `COPY (SELECT ${outputColumns()
          .map((c) => `c.${q(c)}`)
          .join(
            ', ',
          )} FROM cur c LEFT JOIN ${previous} p ON p.${q(DIFF_KEY)} = c.${q(DIFF_KEY)} WHERE p.${q(DIFF_KEY)} IS NULL OR p._h <> c._h) TO ${quoteLiteral(output)} (FORMAT csv, HEADER true)`,
      ),
    );
    const removed = await timed('count removed (anti join)', () =>
      scalar(
        connection,
        `SELECT count(*) FROM ${previous} p ANTI JOIN cur c ON c.${q(DIFF_KEY)} = p.${q(DIFF_KEY)}`,
      ),
    );
    await timed('COPY new snapshot to Parquet', () =>
      connection.run(
        `COPY (SELECT ${q(DIFF_KEY)}, _h FROM cur) TO ${quoteLiteral(snapshot)} (FORMAT parquet)`,
      ),
    );
    return { seconds: (performance.now() - started) / 1000, written, removed, statements };
  } finally {
    connection.disconnectSync();
    instance.closeSync();
    await rm(join(dir, 'spill'), { recursive: true, force: true });
  }
}
