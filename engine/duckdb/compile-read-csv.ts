/**
 * Builds the `read_csv(...)` call for a pinned dialect. Every option that DuckDB would otherwise sniff
 * is spelled out (auto_detect=false, header=false, explicit VARCHAR columns, skip, comment, strict
 * mode), because the sniffer has been seen to lose rows silently. `header=false` always: the header
 * record is loaded as row 0 and checked by the caller, so a header DuckDB cannot read is never
 * mistaken for data or skipped. Rejects go to per-call tables; `ignore_errors` is never used.
 */

import { duckDbCompression } from './detect-compression.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { quoteLiteral } from './sql.js';

export interface ReadCsvCall {
  /** One file, or a list of files read as one relation in list order (see load-csv-batch.ts). */
  path: string | readonly string[];
  /** Adds a column of this name holding each row's file path (DuckDB `filename`). */
  filenameColumn?: string;
  dialect: NormalizedCsvDialect;
  /** Column names in file order; all are read as VARCHAR. */
  columns: readonly string[];
  /** Overrides the dialect's delimiter (used to test another delimiter on the first record). */
  delimiter?: string;
  /** Overrides the dialect's null string. */
  nullString?: string;
  /** Per-call rejects table and scan table; when absent, a bad row fails the whole read. */
  rejects?: { table: string; scan: string };
  /**
   * Probe mode, only for reading the first record: pads short records with NULL, drops fields past
   * the last column instead of failing (strict_mode=false), and reads single-threaded (DuckDB requires
   * that with padding when quoted fields may hold newlines). In this mode DuckDB can skip a bad record
   * without a reject, so its answer must be checked.
   */
  probe?: boolean;
  /** DuckDB `max_line_size` in bytes; longer records are rejected. */
  maxLineBytes?: number;
  /**
   * DuckDB `buffer_size` in bytes, at least: the buffer is the larger of this and what the line size
   * needs. Unset: DuckDB's default (16 × the line size).
   */
  bufferBytes?: number;
}

/** DuckDB's own default `max_line_size` (source.format.max_line_size: 2MB). */
export const DEFAULT_MAX_LINE_BYTES = 2_000_000;

/** The `read_csv(...)` table function call, one expression, every value quoted. */
export function compileReadCsv(call: ReadCsvCall): string {
  const { dialect } = call;
  const struct = call.columns.map((name) => `${quoteLiteral(name)}: 'VARCHAR'`).join(', ');
  const options = [
    typeof call.path === 'string' ? quoteLiteral(call.path) : `[${call.path.map(quoteLiteral).join(', ')}]`,
    'auto_detect = false',
    'header = false',
    'skip = 0',
    `columns = {${struct}}`,
    `delim = ${quoteLiteral(call.delimiter ?? dialect.delimiter)}`,
    `quote = ${quoteLiteral(dialect.quote)}`,
    `escape = ${quoteLiteral(dialect.escape)}`,
    "comment = ''",
    `encoding = ${quoteLiteral(dialect.encoding)}`,
    `compression = ${quoteLiteral(duckDbCompression(dialect.compression))}`,
    `nullstr = ${quoteLiteral(call.nullString ?? dialect.nullString)}`,
    'allow_quoted_nulls = false',
    `strict_mode = ${call.probe === true ? 'false' : 'true'}`,
  ];
  // Always pinned; a buffer must hold a whole line, and DuckDB's default buffer (16 × the line size)
  // ran out of memory at 64 MB lines: two lines' worth is enough. The probe reads one record, so it
  // takes two lines' worth too: with the default 32 MB buffer its LIMIT 1 read 32 MB first (0.11 s on
  // a 115 MB file, against 6–18 ms with 4 MB).
  const maxLine = Math.trunc(call.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  options.push(`max_line_size = ${maxLine}`);
  const buffer = Math.max(
    maxLine > DEFAULT_MAX_LINE_BYTES || call.probe === true ? 2 * maxLine : 0,
    Math.trunc(call.bufferBytes ?? 0),
  );
  if (buffer > 0) options.push(`buffer_size = ${buffer}`);
  if (call.probe === true) options.push('null_padding = true', 'parallel = false');
  if (call.filenameColumn !== undefined) options.push(`filename = ${quoteLiteral(call.filenameColumn)}`);
  if (call.rejects !== undefined) {
    options.push(
      'store_rejects = true',
      `rejects_table = ${quoteLiteral(call.rejects.table)}`,
      `rejects_scan = ${quoteLiteral(call.rejects.scan)}`,
    );
  }
  return `read_csv(${options.join(', ')})`;
}
