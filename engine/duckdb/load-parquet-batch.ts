/**
 * Many small Parquet files with one DuckDB read instead of four statements each (1,000 files of one
 * row took 15–17 s one by one). Only files whose schemas are the same (every schema element: names,
 * types, repetition, nesting, in order) go together, so the one table holds exactly what each file's
 * own table would; any difference, or DuckDB refusing a file, and the caller loads every file with
 * load-parquet.ts.
 */
import type { JS } from '@duckdb/node-api';
import { rowsInFileOrder, type BatchedRows, type RowidRange } from './batch-source-sql.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import type { LoadParquetResult } from './load-parquet.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';

/** A file of the batch: what loadParquet would have said of it, and where its rows are. */
export interface BatchLoadedParquet extends LoadParquetResult {
  rows: BatchedRows;
}

/** Loads the files (by their index in the run's list) together, or returns undefined (nothing kept). */
export async function loadParquetBatch(
  session: DuckDbSession,
  files: ReadonlyArray<{ index: number; path: string }>,
): Promise<Map<number, BatchLoadedParquet> | undefined> {
  // Each file's schema elements as parquet_schema gives them, in its order (one query for all files:
  // a DESCRIBE of each took 1.9 s for 1,000 files, this 0.45 s). Rows it gave out of a file's order
  // could only make two equal schemas look different, which sends the files one by one.
  const list = files.map((file) => quoteLiteral(file.path)).join(', ');
  const elements = await session
    .all(
      `SELECT file_name, name, type, type_length, repetition_type, num_children, converted_type, scale, precision, field_id, logical_type FROM parquet_schema([${list}])`,
    )
    .catch(() => undefined);
  if (elements === undefined) return undefined;
  const schemas = new Map<string, string[]>();
  for (const { file_name: name, ...element } of elements) {
    const path = textOf(name);
    (schemas.get(path) ?? schemas.set(path, []).get(path))?.push(JSON.stringify(element, jsonSafe));
  }
  const first = schemas.get(files[0]?.path ?? '')?.join('\n');
  if (first === undefined || files.some((file) => schemas.get(file.path)?.join('\n') !== first)) {
    return undefined;
  }
  const token = createUniqueToken();
  const table = `ferry_parquet_batch_${token}`;
  const fileColumn = `ferry_${token}_file`;
  const created = await session
    .run(
      `CREATE TABLE ${q(table)} AS SELECT * FROM read_parquet([${list}], filename = ${quoteLiteral(fileColumn)})`,
    )
    .then(() => true)
    .catch(() => false);
  if (!created) return undefined;
  const columns = (await session.all(`DESCRIBE ${q(table)}`))
    .map((r) => textOf(r['column_name']))
    .filter((name) => name !== fileColumn);
  const ranges = new Map<string, RowidRange>(
    (
      await session.all(
        `SELECT ${q(fileColumn)} AS path, count(*) AS n, min(rowid) AS lo, max(rowid) AS hi FROM ${q(table)} GROUP BY ALL`,
      )
    ).map((r) => [textOf(r['path']), { rows: Number(r['n']), lo: Number(r['lo']), hi: Number(r['hi']) }]),
  );
  // Each file's rows together and in file order: else one by one.
  if (!rowsInFileOrder(files.map((file) => ranges.get(file.path)))) {
    await session.run(`DROP TABLE IF EXISTS ${q(table)}`);
    return undefined;
  }
  const loaded = new Map<number, BatchLoadedParquet>();
  for (const file of files) {
    const { rows, lo, hi } = ranges.get(file.path) ?? { rows: 0, lo: -1, hi: -1 };
    loaded.set(file.index, {
      table,
      columns,
      rowsLoaded: rows,
      rows: { table, fileColumn, path: file.path, columns, staging: columns, firstRowid: lo, lastRowid: hi },
    });
  }
  return loaded;
}

/** JSON of a metadata value (BigInt as text). */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function textOf(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}
