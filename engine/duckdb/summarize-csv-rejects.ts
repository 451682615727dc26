/**
 * Turns DuckDB's rejects table into ferry's report: how many data rows were rejected (distinct lines,
 * since one row can break more than one rule) and a capped list of details with stable reason words
 * instead of DuckDB's enum. Raw lines are cut short: after an unterminated quote DuckDB's "line" can
 * be the rest of the file.
 */

import type { JS } from '@duckdb/node-api';
import type { DuckDbSession } from './create-duckdb-session.js';
import { quoteIdent, quoteLiteral } from './sql.js';

export type CsvRejectReason =
  | 'missing-columns'
  | 'too-many-columns'
  | 'bad-quoting'
  | 'line-too-long'
  | 'invalid-encoding'
  | 'cast'
  | 'invalid-state';

export interface CsvReject {
  /**
   * 1-based record number in the file as DuckDB counts it, the header record included. It equals the
   * physical line number unless an earlier quoted field spans lines.
   */
  line: number;
  /** Byte offset of the record's start in the (decompressed) file. */
  byteOffset?: number;
  /** The column DuckDB was reading, when it knows. */
  column?: string;
  reason: CsvRejectReason;
  /** DuckDB's explanation, for people; do not match on it. */
  detail: string;
  /** The record as DuckDB saw it, at most RAW_LINE_MAX_CHARS characters. */
  rawLine?: string;
}

export interface CsvRejectSummary {
  /** Distinct rejected records after `firstDataLine - 1`. */
  rowsRejected: number;
  /** Rejected records whose reason is invalid-encoding. */
  encodingRowsRejected: number;
  /** Data-row details, by line, at most `maxDetails`. */
  rejects: CsvReject[];
  /** Rejects of the header record (line 1 when the file has a header). */
  headerRejects: CsvReject[];
  /** The first invalid-encoding data reject, when there is one. */
  firstEncodingReject: CsvReject | undefined;
  /** The first data record over max_line_size, when there is one. */
  firstLineTooLongReject: CsvReject | undefined;
}

const RAW_LINE_MAX_CHARS = 1000;

const REASONS: Readonly<Record<string, CsvRejectReason>> = {
  'MISSING COLUMNS': 'missing-columns',
  'TOO MANY COLUMNS': 'too-many-columns',
  'UNQUOTED VALUE': 'bad-quoting',
  'LINE SIZE OVER MAXIMUM': 'line-too-long',
  'INVALID ENCODING': 'invalid-encoding',
  CAST: 'cast',
  'INVALID STATE': 'invalid-state',
};

function toCount(value: JS | undefined): number {
  return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : 0;
}

function toReject(row: Record<string, JS>): CsvReject {
  const byteOffset = row['byte_offset'];
  const column = row['column_name'];
  const rawLine = row['raw_line'];
  const errorType = row['error_type'];
  const detail = row['detail'];
  return {
    line: toCount(row['line']),
    ...(byteOffset === null || byteOffset === undefined ? {} : { byteOffset: toCount(byteOffset) }),
    ...(typeof column === 'string' ? { column } : {}),
    reason: (typeof errorType === 'string' ? REASONS[errorType] : undefined) ?? 'invalid-state',
    detail: typeof detail === 'string' ? detail : '',
    ...(typeof rawLine === 'string' ? { rawLine } : {}),
  };
}

function detailsSql(table: string, where: string, limit: number): string {
  return `SELECT line, min(line_byte_position) AS byte_offset, min(column_name) AS column_name,
      error_type::VARCHAR AS error_type, min(error_message) AS detail,
      left(min(csv_line), ${RAW_LINE_MAX_CHARS}) AS raw_line
    FROM ${quoteIdent(table)} WHERE ${where}
    GROUP BY line, error_type ORDER BY line, error_type LIMIT ${limit}`;
}

/** Reads a load's rejects table. `firstDataLine` is 2 when the file has a header, else 1. */
export async function summarizeCsvRejects(
  session: DuckDbSession,
  options: { table: string; firstDataLine: 1 | 2; maxDetails: number },
): Promise<CsvRejectSummary> {
  const { table, firstDataLine, maxDetails } = options;
  const dataLine = `line >= ${firstDataLine}`;
  const [counts] = await session.all(
    `SELECT count(DISTINCT line) FILTER (WHERE ${dataLine}) AS rows_rejected,
       count(DISTINCT line) FILTER (WHERE ${dataLine} AND error_type = 'INVALID ENCODING') AS encoding_rows,
       count(*) FILTER (WHERE ${dataLine} AND error_type = 'LINE SIZE OVER MAXIMUM') AS long_rows
     FROM ${quoteIdent(table)}`,
  );
  const details = await session.all(detailsSql(table, dataLine, Math.max(0, Math.trunc(maxDetails))));
  const headerDetails =
    firstDataLine === 1 ? [] : await session.all(detailsSql(table, `line < ${firstDataLine}`, 10));
  const encodingRowsRejected = toCount(counts?.['encoding_rows']);
  const [firstEncoding] =
    encodingRowsRejected === 0
      ? []
      : await session.all(detailsSql(table, `${dataLine} AND error_type = 'INVALID ENCODING'`, 1));
  const [firstLong] =
    toCount(counts?.['long_rows']) === 0
      ? []
      : await session.all(detailsSql(table, `${dataLine} AND error_type = 'LINE SIZE OVER MAXIMUM'`, 1));
  return {
    rowsRejected: toCount(counts?.['rows_rejected']),
    encodingRowsRejected,
    rejects: details.map(toReject),
    headerRejects: headerDetails.map(toReject),
    firstEncodingReject: firstEncoding === undefined ? undefined : toReject(firstEncoding),
    firstLineTooLongReject: firstLong === undefined ? undefined : toReject(firstLong),
  };
}

/**
 * Copies a load's data-row rejects into a run-wide table (file, line, row, step, reason, record):
 * one row per rejected record, its reasons joined, the record as DuckDB read it (cut at `maxRecordChars`).
 */
export function keepCsvRejectsSql(options: {
  table: string;
  firstDataLine: 1 | 2;
  into: string;
  file: string;
  maxRecordChars: number;
}): string {
  const reason = `CASE error_type::VARCHAR ${Object.entries(REASONS)
    .map(([type, word]) => `WHEN ${quoteLiteral(type)} THEN ${quoteLiteral(word)}`)
    .join(' ')} ELSE 'invalid-state' END || ': ' || error_message`;
  return `INSERT INTO ${quoteIdent(options.into)} SELECT ${quoteLiteral(options.file)}, line, NULL, 'read',
      string_agg(DISTINCT ${reason}, '; '), left(min(csv_line), ${options.maxRecordChars})
    FROM ${quoteIdent(options.table)} WHERE line >= ${options.firstDataLine} GROUP BY line`;
}
