/**
 * The raw DuckDB limit: the fastest plain DuckDB SQL found for the work ferry does, on local files, in a
 * fresh in-memory database with ferry's memory limit and DuckDB's default threads. Same inputs (the day's
 * CSV with the dialect pinned, every column VARCHAR), same mapping (rename + cast), same previous
 * snapshot format (JSON key, md5 row hash, key column; see compile-diff-sql.ts) and same outputs (the
 * added and changed rows as CSV in source order, the new snapshot as Parquet, the counts). What it
 * leaves out is what ferry adds for safety: the header and reject checks, per-file row numbers, the
 * import-time rules, state.
 *
 * The shape that was fastest: one parse of the CSV into a table holding the mapped row with its key and
 * hash (it is read twice: by the join and by the snapshot), then two COPYs. Re-reading the CSV instead
 * of keeping the table was slower (the parse dominates).
 *
 * The dataset upsert's limit (runRawUpsert) reads the same CSV with the same mapping into ferry's
 * previous dataset version (the very file ferry's day 1 wrote) and writes the next one in ferry's
 * format (data columns, version, created_at, updated_at, md5 row hash), so the two can be compared row
 * for row (countDifferentRows).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LARGE_FILE_BUFFER_BYTES } from '../../engine/duckdb/load-csv.js';
import { quoteIdent as q, quoteLiteral } from '../../engine/duckdb/sql.js';
import { BENCH_COLUMNS } from './generate-data.js';
import { CAST, DIFF_KEY, RENAME } from './ferry-project.js';

/** ferry's default limits.memory (640 MiB), the same for both sides. */
export const MEMORY_LIMIT = '640MiB';

export interface RawResult {
  written: number;
  removed: number;
  statements: Array<{ label: string; seconds: number }>;
}

/**
 * The raw side's CSV read. It uses the 64 MiB buffer ferry's loader gives large files (in every
 * scenario: the reference should have every advantage ferry has).
 */
export function readCsv(path: string, columns: readonly string[] = BENCH_COLUMNS): string {
  const struct = columns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ');
  const buffer = `, buffer_size = ${LARGE_FILE_BUFFER_BYTES}`;
  return `read_csv(${quoteLiteral(path)}, auto_detect = false, header = true, columns = {${struct}}, delim = ',', quote = '"', escape = '"', nullstr = '', strict_mode = true${buffer})`;
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

/** ferry's row hash (compile-diff-sql.ts): md5 over the JSON of the output row. */
export function rowHash(): string {
  return `md5(CAST(to_json({${outputColumns()
    .map((c) => `${quoteLiteral(c)}: ${q(c)}`)
    .join(', ')}}) AS VARCHAR))`;
}

/** ferry's snapshot key: the key columns as JSON of their text. */
export function rowKey(): string {
  return `CAST(to_json({${quoteLiteral(DIFF_KEY)}: CAST(${q(DIFF_KEY)} AS VARCHAR)}) AS VARCHAR)`;
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

/** Runs `work` on a fresh database in `dir`, timing each labelled statement; always closes it. */
export async function withRawDatabase<T>(
  dir: string,
  work: (timed: <R>(label: string, run: (c: DuckDBConnection) => Promise<R>) => Promise<R>) => Promise<T>,
): Promise<T & { statements: RawResult['statements'] }> {
  const statements: RawResult['statements'] = [];
  const { instance, connection } = await open(dir);
  try {
    const value = await work(async (label, run) => {
      const start = performance.now();
      try {
        return await run(connection);
      } finally {
        statements.push({ label, seconds: (performance.now() - start) / 1000 });
      }
    });
    return { ...value, statements };
  } finally {
    connection.disconnectSync();
    instance.closeSync();
    await rm(join(dir, 'spill'), { recursive: true, force: true });
  }
}

/** The day-1 snapshot in ferry's format, as ferry would have left it. Not timed. */
export async function prepareRawSnapshot(options: { dir: string; day1Path: string }): Promise<string> {
  const snapshot = join(options.dir, 'day1-snapshot.parquet');
  await withRawDatabase(options.dir, async (timed) => {
    await timed('snapshot', (c) =>
      c.run(
        `COPY (SELECT ${rowKey()} AS _k, ${rowHash()} AS _h, ${q(DIFF_KEY)} FROM (SELECT ${mappedSelect()} FROM ${readCsv(options.day1Path)})) TO ${quoteLiteral(snapshot)} (FORMAT parquet)`,
      ),
    );
    return {};
  });
  return snapshot;
}

/**
 * The timed limit: read + map + hash, join against the previous snapshot (none on day 1), COPY the
 * added and changed rows to CSV in source order, COPY the new snapshot. `output` and `snapshot` are
 * written in `dir`.
 */
export async function runRawDuckDb(options: {
  dir: string;
  dayPath: string;
  previousSnapshot: string | undefined;
  output: string;
}): Promise<RawResult> {
  const { dir } = options;
  const snapshot = join(dir, 'new-snapshot.parquet');
  const previous = options.previousSnapshot
    ? `read_parquet(${quoteLiteral(options.previousSnapshot)})`
    : `(SELECT NULL::VARCHAR AS _k, NULL::VARCHAR AS _h WHERE false)`;
  return withRawDatabase(dir, async (timed) => {
    await timed('read + map + key + hash into a table', (c) =>
      c.run(
        `CREATE TABLE cur AS SELECT *, ${rowKey()} AS _k, ${rowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(options.dayPath)})`,
      ),
    );
    const written = await timed('join + COPY added/changed to CSV', (c) =>
      scalar(
        c,
        `COPY (SELECT ${outputColumns()
          .map((col) => `c.${q(col)}`)
          .join(
            ', ',
          )} FROM cur c LEFT JOIN ${previous} p ON p._k = c._k WHERE p._k IS NULL OR p._h <> c._h ORDER BY c.rowid) TO ${quoteLiteral(options.output)} (FORMAT csv, HEADER true)`,
      ),
    );
    const removed = await timed('count removed', (c) =>
      scalar(c, `SELECT count(*) FROM ${previous} p ANTI JOIN cur c ON c._k = p._k`),
    );
    await timed('COPY new snapshot to Parquet', (c) =>
      c.run(`COPY (SELECT _k, _h, ${q(DIFF_KEY)} FROM cur) TO ${quoteLiteral(snapshot)} (FORMAT parquet)`),
    );
    return { written, removed };
  });
}

/** The dataset's internal columns (compile-merge-sql.ts), in the order ferry writes them. */
const DATASET_BOOKKEEPING = [
  '_ferry_version',
  '_ferry_created_at',
  '_ferry_updated_at',
  '_ferry_hash',
] as const;

/** ferry's dataset row hash (compile-merge-sql.ts): md5 over the JSON of the data columns in name order. */
export function datasetRowHash(): string {
  return `md5(CAST(to_json({${[...outputColumns()]
    .sort()
    .map((c) => `${quoteLiteral(c)}: ${q(c)}`)
    .join(', ')}}) AS VARCHAR))`;
}

/**
 * The upsert limit: day 2 read, mapped and hashed inside the one join with the previous version (a
 * dataset version as ferry writes it), into a table the counts and the COPY read; the COPY writes the
 * untouched previous rows and the joined ones as the next version. Changed rows get `version`,
 * updated_at = `now`; created_at is kept. The fastest shape found (CPU, 1M rows): a table of day 2
 * first (then COPY with the join, and two more joins for the counts) took about 10% more CPU. It reads
 * with ferry's 64 MiB buffer for large files (no measurable gain here, but ferry has it);
 * `preserve_insertion_order = false` gained nothing.
 */
export async function runRawUpsert(options: {
  dir: string;
  dayPath: string;
  previous: string;
  output: string;
  key: string;
  version: number;
  now: Date;
}): Promise<{ created: number; updated: number; rows: number }> {
  const { key } = options;
  const cols = outputColumns();
  const prev = `read_parquet(${quoteLiteral(options.previous)})`;
  const now = `CAST(${quoteLiteral(options.now.toISOString())} AS TIMESTAMPTZ)`;
  const changed = `(p.${q(key)} IS NULL OR p._ferry_hash <> i._h)`;
  const { instance, connection } = await open(options.dir);
  try {
    await connection.run(
      `CREATE TABLE j AS SELECT ${cols.map((c) => `i.${q(c)}`).join(', ')}, ` +
        `CASE WHEN ${changed} THEN ${options.version} ELSE p._ferry_version END AS _ferry_version, ` +
        `coalesce(p._ferry_created_at, ${now}) AS _ferry_created_at, ` +
        `CASE WHEN ${changed} THEN ${now} ELSE p._ferry_updated_at END AS _ferry_updated_at, i._h AS _ferry_hash, ` +
        `p.${q(key)} IS NULL AS _new, p.${q(key)} IS NOT NULL AND p._ferry_hash <> i._h AS _upd ` +
        `FROM (SELECT *, ${datasetRowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(options.dayPath)})) i ` +
        `LEFT JOIN ${prev} p ON p.${q(key)} = i.${q(key)}`,
    );
    const created = await scalar(connection, 'SELECT count(*) FILTER (WHERE _new) FROM j');
    const updated = await scalar(connection, 'SELECT count(*) FILTER (WHERE _upd) FROM j');
    const all = [...cols, ...DATASET_BOOKKEEPING];
    const rows = await scalar(
      connection,
      `COPY (SELECT ${all.map((c) => `p.${q(c)}`).join(', ')} FROM ${prev} p ANTI JOIN j ON j.${q(key)} = p.${q(key)} ` +
        `UNION ALL SELECT ${all.map(q).join(', ')} FROM j) TO ${quoteLiteral(options.output)} (FORMAT parquet)`,
    );
    return { created, updated, rows };
  } finally {
    connection.disconnectSync();
    instance.closeSync();
    await rm(join(options.dir, 'spill'), { recursive: true, force: true });
  }
}

/**
 * Rows in one Parquet file and not the other (both ways, duplicates counted), over `columns`: 0 when
 * the two hold the same rows.
 */
export async function countDifferentRows(
  dir: string,
  a: string,
  b: string,
  columns: readonly string[] = [...outputColumns(), ...DATASET_BOOKKEEPING],
): Promise<number> {
  const list = columns.map(q).join(', ');
  const side = (path: string) => `SELECT ${list} FROM read_parquet(${quoteLiteral(path)})`;
  const { instance, connection } = await open(dir);
  try {
    return await scalar(
      connection,
      `SELECT (SELECT count(*) FROM (${side(a)} EXCEPT ALL ${side(b)})) + (SELECT count(*) FROM (${side(b)} EXCEPT ALL ${side(a)}))`,
    );
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
}

/**
 * The issue's plain two-file diff, a second reference: both days read as all-VARCHAR, DuckDB's
 * hash() of the row, a full outer join by id, the added, changed and removed rows COPYed to CSV. No
 * mapping, no snapshot, a hash that is not stable across DuckDB versions: less work than ferry's.
 */
export async function runPlainDiff(options: {
  dir: string;
  day1Path: string;
  day2Path: string;
  output: string;
}): Promise<{ written: number; statements: RawResult['statements'] }> {
  const struct = `{${BENCH_COLUMNS.map((c) => `${quoteLiteral(c)}: ${q(c)}`).join(', ')}}`;
  const side = (path: string) =>
    `(SELECT *, hash(${struct}) AS _h FROM read_csv(${quoteLiteral(path)}, all_varchar = true, header = true, auto_detect = true))`;
  const id = q(DIFF_KEY);
  return withRawDatabase(options.dir, async (timed) => {
    const written = await timed('read both + hash + full outer join + COPY', (c) =>
      scalar(
        c,
        `COPY (SELECT coalesce(n.${id}, o.${id}) AS ${id}, CASE WHEN o.${id} IS NULL THEN 'added' WHEN n.${id} IS NULL THEN 'removed' ELSE 'changed' END AS kind, n.* EXCLUDE (${id}, _h) ` +
          `FROM ${side(options.day2Path)} n FULL OUTER JOIN ${side(options.day1Path)} o ON n.${id} = o.${id} WHERE n._h IS DISTINCT FROM o._h) TO ${quoteLiteral(options.output)} (FORMAT csv, HEADER true)`,
      ),
    );
    return { written };
  });
}
