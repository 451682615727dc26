/**
 * Every rejected row of a run, kept whole. The load, map and dataset steps add theirs to one table
 * of the run's DuckDB session — file, line, row, step, reason and the record as read — and apply
 * writes it as CSV beside the run record, state/pipelines/<name>/runs/<run>.rejected.csv, whether
 * the run succeeds or fails (over max_rejects is when it matters most). The report lists the first
 * rows; this file has all of them, so they can be fixed and sent again.
 */
import { join } from 'node:path';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FILE_COLUMN, REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import type { LoadedFile, StepContext } from './step-context.js';

export const REJECTED_ROWS_TABLE = 'ferry_rejected_rows';

/** Records longer than this are cut (an unterminated quote can make DuckDB's "line" the rest of the file). */
export const MAX_RECORD_CHARS = 65_536;

export const CREATE_REJECTED_ROWS_TABLE =
  `CREATE TABLE IF NOT EXISTS ${q(REJECTED_ROWS_TABLE)} (file VARCHAR, line BIGINT, "row" BIGINT, ` +
  `step VARCHAR, reason VARCHAR, record VARCHAR)`;

/** Writes the run's rejected rows to a CSV in the temp dir; undefined when there are none. */
export async function exportRejectedRows(
  context: StepContext,
): Promise<{ path: string; rows: number } | undefined> {
  // Bookkeeping, not a step of the pipeline: run directly, not listed by --show-sql.
  const [count] = await context.session.all(`SELECT count(*) AS n FROM ${q(REJECTED_ROWS_TABLE)}`);
  const rows = Number(count?.['n'] ?? 0);
  if (rows === 0) return undefined;
  const path = join(context.tempDir, 'rejected-rows.csv');
  await context.session.run(
    `COPY (SELECT * FROM ${q(REJECTED_ROWS_TABLE)} ORDER BY file, line NULLS LAST, "row" NULLS LAST) ` +
      `TO ${quoteLiteral(path)} (FORMAT csv, HEADER true)`,
  );
  return { path, rows };
}

/**
 * Rows the mapping rejected, with the source record as JSON. The line is computed where the file's
 * rejected records are all known (CSV): the k-th loaded row of a file is record
 * k + header + (rejected records before it), and the i-th rejected record r (1-based, ascending) has
 * r - header - i loaded rows before it.
 */
export function keepMappedRejectsSql(input: {
  mappedTable: string;
  sourceTable: string;
  sourceColumns: readonly string[];
  files: readonly LoadedFile[];
}): string {
  const located = input.files.filter((f) => f.offset !== undefined && f.records !== undefined);
  const fileRows = located.map(
    (f) => `(${quoteLiteral(f.key)}, ${f.offset ?? 0}, ${f.records?.header ? 1 : 0})`,
  );
  const rejectedRows = located.flatMap((f) =>
    [...(f.records?.rejectedRecords ?? [])]
      .sort((a, b) => a - b)
      .map((record, i) => `(${quoteLiteral(f.key)}, ${record}, ${i + 1})`),
  );
  const files = fileRows.length
    ? `(VALUES ${fileRows.join(', ')}) AS f(file, off, hdr)`
    : `(SELECT NULL::VARCHAR AS file, NULL::BIGINT AS off, NULL::BIGINT AS hdr WHERE false) AS f`;
  const rejected = rejectedRows.length
    ? `(VALUES ${rejectedRows.join(', ')}) AS r(file, rec, i)`
    : `(SELECT NULL::VARCHAR AS file, NULL::BIGINT AS rec, NULL::BIGINT AS i WHERE false) AS r`;
  const F = q(FILE_COLUMN);
  const R = q(ROW_COLUMN);
  const k = `(m.${R} - f.off)`;
  const line =
    `CASE WHEN f.file IS NULL THEN NULL ELSE ${k} + f.hdr + ` +
    `(SELECT count(*) FROM ${rejected} WHERE r.file = m.${F} AND r.rec - f.hdr - r.i < ${k}) END`;
  const record = `left(CAST(to_json({${input.sourceColumns
    .map((c) => `${quoteLiteral(c)}: s.${q(c)}`)
    .join(', ')}}) AS VARCHAR), ${MAX_RECORD_CHARS})`;
  return (
    `INSERT INTO ${q(REJECTED_ROWS_TABLE)} SELECT m.${F}, ${line}, m.${R}, 'map', m.${q(REJECT_COLUMN)}, ${record} ` +
    `FROM ${q(input.mappedTable)} m JOIN ${q(input.sourceTable)} s ON s.${R} = m.${R} ` +
    `LEFT JOIN ${files} ON f.file = m.${F} WHERE m.${q(REJECT_COLUMN)} IS NOT NULL`
  );
}

/** Rows a dataset sink rejected (a declared type, an empty key), with the row as mapped, as JSON. */
export function keepDatasetRejectsSql(input: {
  dataset: string;
  inputTable: string;
  conformedTable: string;
  columns: readonly string[];
  orderColumn: string;
  reasonColumn: string;
}): string {
  const record = `left(CAST(to_json({${input.columns
    .map((c) => `${quoteLiteral(c)}: i.${q(c)}`)
    .join(', ')}}) AS VARCHAR), ${MAX_RECORD_CHARS})`;
  const O = q(input.orderColumn);
  return (
    `INSERT INTO ${q(REJECTED_ROWS_TABLE)} SELECT ${quoteLiteral(`dataset:${input.dataset}`)}, NULL, i.${O}, 'dataset', ` +
    `c.${q(input.reasonColumn)}, ${record} FROM ${q(input.inputTable)} i JOIN ${q(input.conformedTable)} c ON c.${O} = i.${O} ` +
    `WHERE c.${q(input.reasonColumn)} IS NOT NULL`
  );
}
