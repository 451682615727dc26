/**
 * The FerryErrors a CSV load ends with, in one place so each says the same things: which file, which
 * line, what was wrong, and which setting to change. DuckDB's own message is kept only as the cause
 * (or quoted after ferry's words), never on its own.
 */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { duckDbMessageOf } from './wrap-duckdb-error.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { MAX_CSV_COLUMNS } from './probe-csv-first-record.js';
import type { CsvReject } from './summarize-csv-rejects.js';

/** The line DuckDB names in a CSV error ("CSV Error on Line: 3"), when it names one. */
function lineOf(message: string): number | undefined {
  const match = /on line:?\s*(\d+)/i.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function csvReadFailed(error: unknown, displayName: string): FerryError {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  const reason = (duckDbMessageOf(error).split('\n')[0] ?? '').replace(/^[A-Za-z ]+Error: /, '').trim();
  const line = lineOf(duckDbMessageOf(error));
  return new FerryError(
    'CSV_READ_FAILED',
    `${displayName} could not be read as CSV${line === undefined ? '' : ` (line ${line})`}: ${reason}`,
    {
      context: { file: displayName, ...(line === undefined ? {} : { line }) },
      cause: error,
      hint: 'Check the dialect (delimiter, quote, escape, header), the compression and the encoding settings against the file.',
    },
  );
}

/**
 * The LF copy of a file whose lines end both ways (normalize-line-breaks.ts) could not be written:
 * RUN_DISK_FULL when the disk is full (the code every other write to the temp dir uses), else
 * CSV_READ_FAILED with the cause.
 */
export function csvLfCopyFailed(error: unknown, displayName: string): FerryError {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new FerryError(
      'RUN_DISK_FULL',
      `${displayName} ends its lines both with LF and with CRLF, and the copy with LF line breaks that ferry reads instead could not be written: the disk of the run's temp dir is full.`,
      {
        context: { file: displayName },
        cause: error,
        hint: 'Free space on the disk of the temp dir (TMPDIR), or set limits.temp_disk_bytes below the room it has so that ferry stops first.',
      },
    );
  }
  return new FerryError(
    'CSV_READ_FAILED',
    `${displayName} ends its lines both with LF and with CRLF, and the copy with LF line breaks that ferry reads instead could not be made: ${error instanceof Error ? error.message : String(error)}`,
    {
      context: { file: displayName },
      cause: error,
      hint: "Check the run's temp directory (free space, permissions).",
    },
  );
}

/**
 * A CR alone outside quotes that no quoting places in its value (after the closing quote of a quoted
 * value, or with a delimiter of more than one byte), where DuckDB then failed: its message names no
 * line.
 */
export function csvStrayCarriageReturn(displayName: string, line: number, cause: unknown): FerryError {
  return new FerryError(
    'CSV_READ_FAILED',
    `${displayName}: line ${line} holds a carriage return (CR) outside quotes that is not part of a line break, and ferry cannot place it inside its value (it follows the closing quote of a quoted value, or the format has a delimiter of more than one byte, or no quote or escape character to quote the value with); DuckDB cannot read such a file.`,
    {
      context: { file: displayName, line },
      cause,
      hint: 'Ask the sender to quote that value or to remove the CR. (A CR alone in a value without quotes, ferry reads as part of the value.)',
    },
  );
}

function size(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${bytes} bytes`;
}

export function csvLineTooLong(
  displayName: string,
  found: { line: number; bytes?: number },
  maxLineBytes: number,
): FerryError {
  return new FerryError(
    'CSV_LINE_TOO_LONG',
    `${displayName}: line ${found.line} is ${found.bytes === undefined ? 'longer than' : `${size(found.bytes)}, over`} the ${size(maxLineBytes)} a record may have (source.format.max_line_size).`,
    {
      context: {
        file: displayName,
        line: found.line,
        maxLineBytes,
        ...(found.bytes === undefined ? {} : { bytes: found.bytes }),
      },
      hint: 'If records this long are expected, raise source.format.max_line_size (e.g. 64MB); otherwise look for a missing line break or an unclosed quote on that line.',
    },
  );
}

export function csvHeaderMismatch(displayName: string): FerryError {
  return new FerryError('CSV_BAD_HEADER', `${displayName}: the header record could not be read.`, {
    context: { file: displayName, line: 1 },
    hint: 'Check the quote and escape settings against the first line of the file, or set header: false.',
  });
}

export function csvEncodingError(
  reject: CsvReject,
  rows: number,
  displayName: string,
  dialect: NormalizedCsvDialect,
): FerryError {
  return new FerryError(
    'CSV_ENCODING',
    `${displayName}: line ${reject.line} is not valid ${dialect.encoding} (${rows} row${rows === 1 ? '' : 's'} affected).`,
    {
      context: { file: displayName, line: reject.line, encoding: dialect.encoding, rows },
      hint:
        dialect.encoding === 'utf-8'
          ? 'If the vendor sends Latin-1 (ISO-8859-1 / Windows-1252) files, set encoding: latin-1 for this source.'
          : 'Set the encoding this vendor really uses.',
    },
  );
}

export function csvHeaderRejectError(
  reject: CsvReject,
  displayName: string,
  dialect: NormalizedCsvDialect,
  maxLineBytes: number,
): FerryError {
  if (reject.reason === 'invalid-encoding') return csvEncodingError(reject, 1, displayName, dialect);
  if (reject.reason === 'line-too-long')
    return csvLineTooLong(displayName, { line: reject.line }, maxLineBytes);
  return new FerryError(
    'CSV_BAD_HEADER',
    `${displayName}: the header record is unreadable (${reject.reason}).`,
    {
      context: { file: displayName, line: reject.line, reason: reject.reason },
      hint:
        reject.reason === 'bad-quoting'
          ? 'The header has an unbalanced quote; check the quote and escape settings, or fix the file.'
          : `Check the dialect against the first line of the file; ferry reads at most ${MAX_CSV_COLUMNS} columns.`,
    },
  );
}
