/**
 * Loads a Parquet file into a DuckDB table as is. Parquet carries its own schema and types, so there is
 * no dialect to pin and no row-level rejects: the file is readable or it is not.
 */

import { FerryError } from '../errors/ferry-error.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { quoteIdent, quoteLiteral } from './sql.js';

export interface LoadParquetOptions {
  /** Local file inside the session's temp dir. */
  path: string;
  /** Table to create; it must not exist. */
  table: string;
  /** The file as the user knows it (e.g. `s3://bucket/key`), for messages; defaults to `path`. */
  displayName?: string;
}

export interface LoadParquetResult {
  table: string;
  columns: string[];
  rowsLoaded: number;
}

/** Loads a Parquet file into `table`. Throws FerryError `PARQUET_READ_FAILED` if DuckDB cannot read it. */
export async function loadParquet(
  session: DuckDbSession,
  options: LoadParquetOptions,
): Promise<LoadParquetResult> {
  const { path, table } = options;
  const displayName = options.displayName ?? path;
  const target = quoteIdent(table);
  try {
    await session.run(`CREATE TABLE ${target} AS SELECT * FROM read_parquet(${quoteLiteral(path)})`);
  } catch (error) {
    throw new FerryError('PARQUET_READ_FAILED', `${displayName} could not be read as Parquet.`, {
      context: { file: displayName },
      cause: error,
      hint: 'Check that the file is Parquet (not CSV or JSON) and that the download was complete.',
    });
  }
  const described = await session.all(`DESCRIBE ${target}`);
  const [count] = await session.all(`SELECT count(*) AS n FROM ${target}`);
  const n = count?.['n'];
  return {
    table,
    columns: described.map((row) => {
      const name = row['column_name'];
      return typeof name === 'string' ? name : '';
    }),
    rowsLoaded: typeof n === 'bigint' || typeof n === 'number' ? Number(n) : 0,
  };
}
