/**
 * Files loaded together (load-csv-batch.ts, load-json-batch.ts, load-parquet-batch.ts) share one
 * table with a file-name column; each file's rows are contiguous, in file order, between two rowids
 * (the JSON batch reads every file's good lines from one file, so its rows are told apart by rowid
 * alone). This is the part of the `source` view that gives them back per file: the data columns by
 * name, the file's key and the run-wide row number.
 */
import { quoteIdent as q, quoteLiteral } from './sql.js';

/** Where a batched file's rows are: its own rows of the batch table, picked by file and rowid. */
export interface BatchedRows {
  /** The batch's table (every file of the batch; a file's rows are picked by `fileColumn`). */
  table: string;
  fileColumn: string;
  /** The file's path as the table's file column holds it. */
  path: string;
  /** The table's data columns by name, and the column holding each (the same for every file). */
  columns: string[];
  staging: string[];
  /** rowid of the file's first data row. */
  firstRowid: number;
  /** rowid of the file's last row. */
  lastRowid: number;
}

/** Where one file's rows are in a batch table, as a GROUP BY of its file column finds them. */
export interface RowidRange {
  lo: number;
  hi: number;
  rows: number;
}

/**
 * Whether the files' rows (`undefined`: a file with none) each lie together, one file after the
 * other in file order: what numbering a file's rows by rowid needs. Else the batch is not used.
 */
export function rowsInFileOrder(ranges: Iterable<RowidRange | undefined>): boolean {
  let lastRowid = -1;
  for (const range of ranges) {
    if (range === undefined) continue;
    if (range.lo <= lastRowid || range.hi - range.lo + 1 !== range.rows) return false;
    lastRowid = range.hi;
  }
  return true;
}

/**
 * The batched files of one table: their data rows with the column names, the file's key and the
 * run-wide row number (`offset` + record order in the file).
 */
export function compileBatchSourceSql(
  files: ReadonlyArray<{ loaded: BatchedRows; key: string; offset: number }>,
  internal: { fileColumn: string; rowColumn: string },
): string {
  const [first] = files;
  if (first === undefined) throw new Error('no batched files');
  const { table, fileColumn, columns, staging } = first.loaded;
  const values = files.map(
    ({ loaded, key, offset }) =>
      `(${quoteLiteral(loaded.path)}, ${quoteLiteral(key)}, ${loaded.firstRowid}, ${loaded.lastRowid}, ${offset + 1 - loaded.firstRowid})`,
  );
  const selected = columns.map((name, i) => `b.${q(staging[i] ?? '')} AS ${q(name)}`);
  return (
    `SELECT ${selected.join(', ')}, f.${q('key')} AS ${q(internal.fileColumn)}, ` +
    `CAST(b.rowid + f.${q('shift')} AS BIGINT) AS ${q(internal.rowColumn)} ` +
    `FROM ${q(table)} AS b JOIN (VALUES ${values.join(', ')}) AS f(${q('path')}, ${q('key')}, ${q('lo')}, ${q('hi')}, ${q('shift')}) ` +
    `ON b.${q(fileColumn)} = f.${q('path')} AND b.rowid BETWEEN f.${q('lo')} AND f.${q('hi')}`
  );
}
