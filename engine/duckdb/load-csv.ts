/**
 * Loads one vendor CSV file into a DuckDB table with the dialect the configuration pins, every column
 * as VARCHAR (typing happens later, in mapping), and every row accounted for: rows in the file =
 * rowsLoaded + rowsRejected. How, and why this way (see RELIABILITY.md, "Bad inputs"):
 *
 * 1. The first record is probed (probe-csv-first-record.ts) to learn the header and the field count.
 * 2. The whole file is read with `header=false` into generic columns, rejects kept in per-call tables.
 *    The header record is therefore row 0 (CREATE TABLE AS keeps file order) or a reject on line 1;
 *    DuckDB's own `header=true` skips the first physical line, which is wrong after blank lines.
 * 3. Line-1 rejects, encoding rejects and a row 0 that differs from the probe are errors; then the
 *    header names are checked, a one-column read is checked for a wrong delimiter, and the generic
 *    columns are renamed.
 * On any error the table is dropped, so a caller never sees a half-checked load. A file whose lines
 * end both ways (LF and CRLF), which DuckDB reads wrong or not at all, is read from a copy with LF line
 * breaks (normalize-line-breaks.ts).
 */

import { rm, stat } from 'node:fs/promises';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { checkCsvDelimiter, wrongDelimiterOr as suggestDelimiter } from './check-csv-delimiter.js';
import { compileReadCsv, DEFAULT_MAX_LINE_BYTES } from './compile-read-csv.js';
import {
  csvEncodingError,
  csvHeaderMismatch,
  csvHeaderRejectError,
  csvLfCopyFailed,
  csvLineTooLong,
  csvReadFailed,
  csvStrayCarriageReturn,
} from './csv-load-errors.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import type { Compression } from './detect-compression.js';
import { createUniqueToken } from './create-unique-token.js';
import { surveyCsvLines } from './find-long-line.js';
import { assertValidMaxRejects, enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import { normalizeCsvDialect, type CsvDialect, type NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { MAX_CSV_COLUMNS, probeCsvFirstRecord } from './probe-csv-first-record.js';
import { quoteIdent } from './sql.js';
import { canNormalizeLineBreaks, writeNormalizedCsv } from './normalize-line-breaks.js';
import { keepCsvRejectsSql, summarizeCsvRejects, type CsvReject } from './summarize-csv-rejects.js';
import { validateCsvHeader } from './validate-csv-header.js';

export interface LoadCsvOptions {
  /** Local file inside the session's temp dir. */
  path: string;
  /** Table to create; it must not exist. */
  table: string;
  dialect: CsvDialect;
  /** The file as the user knows it (e.g. `s3://bucket/key`), for messages. */
  displayName: string;
  /**
   * Column names, in file order; every record must have this many fields. With `header: false` they
   * name the columns (without them: `column1` … `columnN`, N from the first record). With a header
   * they replace it: its names are not used or checked (duplicates, empty names), only its width.
   */
  columns?: readonly string[];
  /** Fail with `CSV_REJECTS_OVER_LIMIT` above this many rejected rows. */
  maxRejects?: MaxRejects;
  /**
   * Also copy every rejected data record into this table (file, line, row, step, reason, record),
   * before max_rejects is enforced, so a file that fails still leaves its bad records behind.
   */
  keepRejects?: { into: string; file: string; maxRecordChars: number };
  /** How many rejects to return in detail (all are counted). Default 1000. */
  maxRejectDetails?: number;
  /** Longest record in bytes (DuckDB `max_line_size`); longer ones are rejected as line-too-long. */
  maxLineBytes?: number;
}

export interface LoadCsvResult {
  /** The table's name; see `tableCreated`. */
  table: string;
  /** False when the file is empty (policy `skip`): there is no table then. */
  tableCreated: boolean;
  /** Column names in file order. */
  columns: string[];
  rowsLoaded: number;
  /** Rejected data records; rowsLoaded + rowsRejected = data records in the file. */
  rowsRejected: number;
  /** Details of rejected records, by line, at most `maxRejectDetails`. */
  rejects: CsvReject[];
  /** True for an empty or header-only file (policy `skip`); no table was created. */
  empty: boolean;
  /**
   * Set when the file's lines end both ways (LF and CRLF), so it was read from a copy with its CRLFs
   * outside quotes made LFs: how many were.
   */
  crlfMadeLf?: number;
  /**
   * Set when the file has a CR outside quotes that is not part of a CRLF, so it was read from a copy:
   * how many CRs alone are now inside their values (quoted), the line of the first, whether one ended
   * the file (read as its last line break), and how many lines ended CR CR LF (read as one).
   */
  strayCrs?: { count: number; firstLine: number | undefined; finalCrMadeLf: boolean; crCrLfLines: number };
}

const DEFAULT_MAX_REJECT_DETAILS = 1000;
/** The read buffer for large uncompressed files (largeFileBuffer). */
export const LARGE_FILE_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * Loads a CSV file as all-VARCHAR columns with a pinned dialect, keeping rejected rows.
 * Throws FerryError: `CSV_BAD_DIALECT`, `CSV_BAD_OPTIONS`, `CSV_BAD_HEADER`, `CSV_ENCODING`,
 * `CSV_WRONG_DELIMITER`, `CSV_EMPTY_FILE`, `CSV_REJECTS_OVER_LIMIT`, `CSV_READ_FAILED`.
 */
export async function loadCsv(session: DuckDbSession, options: LoadCsvOptions): Promise<LoadCsvResult> {
  const { path, displayName } = options;
  const dialect = normalizeCsvDialect(options.dialect, displayName);
  checkOptions(options);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // DuckDB misreports (or drops) a physical line over max_line_size: find one first. The same pass
  // finds lines that end both ways and CRs alone, which DuckDB reads wrong or not at all.
  const survey = await surveyCsvLines(path, { compression: dialect.compression, maxLineBytes }).catch(
    () => undefined, // unreadable: DuckDB's read below says so
  );
  if (survey?.longLine !== undefined) throw csvLineTooLong(displayName, survey.longLine, maxLineBytes);
  const needsCopy = survey?.mixedLineBreaks === true || survey?.strayCarriageReturns === true;
  return needsCopy && canNormalizeLineBreaks(dialect)
    ? loadThroughCopy(session, options, dialect)
    : readCsvFile(session, options);
}

/**
 * Loads a file the line-break census flagged, from the copy of normalize-line-breaks.ts when it
 * changed anything, else from the file. DuckDB's error at a CR alone the copy could not place names no
 * line: it is CSV_READ_FAILED naming the line then.
 */
async function loadThroughCopy(
  session: DuckDbSession,
  options: LoadCsvOptions,
  dialect: NormalizedCsvDialect,
): Promise<LoadCsvResult> {
  const { path, displayName } = options;
  const copy = `${path}.lf`;
  const found = await writeNormalizedCsv(path, copy, dialect).catch((error: unknown) => {
    throw csvLfCopyFailed(error, displayName);
  });
  if (found.copied) session.nameFile(copy, displayName);
  try {
    const loaded = await readCsvFile(
      session,
      found.copied
        ? { ...options, path: copy, dialect: { ...options.dialect, compression: 'none' } }
        : options,
    );
    return {
      ...loaded,
      ...(found.crlfMadeLf > 0 ? { crlfMadeLf: found.crlfMadeLf } : {}),
      ...(found.strayCrs > 0 || found.finalCrMadeLf || found.crCrLfLines > 0
        ? {
            strayCrs: {
              count: found.strayCrs,
              firstLine: found.firstStrayCrLine,
              finalCrMadeLf: found.finalCrMadeLf,
              crCrLfLines: found.crCrLfLines,
            },
          }
        : {}),
    };
  } catch (error) {
    if (found.unplaceableCrLine !== undefined && isFerryError(error) && error.code === 'CSV_READ_FAILED') {
      throw csvStrayCarriageReturn(displayName, found.unplaceableCrLine, error);
    }
    throw error;
  } finally {
    if (found.copied) await rm(copy, { force: true });
  }
}

/** loadCsv after its pass over the file: the probe, the read and its checks. */
async function readCsvFile(session: DuckDbSession, options: LoadCsvOptions): Promise<LoadCsvResult> {
  const { path, table, displayName } = options;
  const dialect = normalizeCsvDialect(options.dialect, displayName);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxLine = { maxLineBytes };
  // A first record that does not read as configured is often a wrong delimiter: say so if it is.
  const delimiterCheck = { path, displayName, dialect, ...maxLine };
  const wrongDelimiterOr = (symptom: string, otherwise: FerryError) =>
    suggestDelimiter(session, { path, displayName, dialect, maxLineBytes, symptom, otherwise });

  const firstRecord = await readFirstRecord(session, options, { dialect, wrongDelimiterOr });
  const width = options.columns?.length ?? firstRecord?.length ?? 1;
  const token = createUniqueToken();
  const staging = Array.from({ length: width }, (_, i) => `ferry_${token}_${i + 1}`);
  const rejectsTables = { table: `ferry_rejects_${token}`, scan: `ferry_reject_scans_${token}` };
  const target = quoteIdent(table);

  let created = false;
  try {
    const bufferBytes = await largeFileBuffer(path, dialect.compression, maxLineBytes);
    const read = compileReadCsv({
      path,
      dialect,
      columns: staging,
      rejects: rejectsTables,
      ...maxLine,
      ...(bufferBytes !== undefined ? { bufferBytes } : {}),
    });
    await session.run(`CREATE TABLE ${target} AS SELECT * FROM ${read}`).catch(async (error: unknown) => {
      throw await wrongDelimiterOr('the file does not read', csvReadFailed(error, displayName));
    });
    created = true;

    const summary = await summarizeCsvRejects(session, {
      table: rejectsTables.table,
      firstDataLine: dialect.header ? 2 : 1,
      maxDetails: options.maxRejectDetails ?? DEFAULT_MAX_REJECT_DETAILS,
    });
    const [headerReject] = summary.headerRejects;
    if (headerReject !== undefined) {
      const error = csvHeaderRejectError(headerReject, displayName, dialect, maxLineBytes);
      throw error.code === 'CSV_BAD_HEADER'
        ? await wrongDelimiterOr(`the header does not read (${headerReject.reason})`, error)
        : error;
    }
    if (summary.firstEncodingReject !== undefined) {
      throw csvEncodingError(summary.firstEncodingReject, summary.encodingRowsRejected, displayName, dialect);
    }
    if (summary.firstLineTooLongReject !== undefined) {
      throw csvLineTooLong(displayName, summary.firstLineTooLongReject, maxLineBytes);
    }

    if (firstRecord === undefined && options.columns === undefined) {
      // The probe found no record, yet a one-column read turns each blank line into a NULL row.
      const onlyColumn = quoteIdent(staging[0] ?? '');
      const [filled] = await session.all(`SELECT count(${onlyColumn}) AS n FROM ${target}`);
      if (Number(filled?.['n'] ?? 0) === 0) await session.run(`DELETE FROM ${target}`);
    }

    if (dialect.header) {
      const headerReads = await removeHeaderRow(session, {
        target,
        staging,
        firstRecord,
        nullString: dialect.nullString,
        anyRejects: summary.rowsRejected > 0,
      });
      if (!headerReads)
        throw await wrongDelimiterOr('the header does not read', csvHeaderMismatch(displayName));
    }
    const columns = [
      ...(dialect.header
        ? (options.columns ?? firstRecord ?? [])
        : (options.columns ?? staging.map((_, i) => `column${i + 1}`))),
    ];
    if (dialect.header) validateCsvHeader(columns, displayName);
    if (width === 1 && options.columns === undefined && firstRecord !== undefined) {
      await checkCsvDelimiter(session, delimiterCheck);
    }

    const [countRow] = await session.all(`SELECT count(*) AS n FROM ${target}`);
    const rowsLoaded = Number(countRow?.['n'] ?? 0);
    const { rowsRejected, rejects } = summary;

    if (rowsLoaded === 0 && rowsRejected === 0) {
      if (dialect.emptyFile === 'fail') {
        throw new FerryError('CSV_EMPTY_FILE', `${displayName} has no data rows.`, {
          context: { file: displayName },
          hint: 'Set source.format.empty_file: skip if an empty file is normal for this source.',
        });
      }
      await dropTable(session, target);
      created = false;
      return {
        table,
        tableCreated: false,
        columns,
        rowsLoaded: 0,
        rowsRejected: 0,
        rejects: [],
        empty: true,
      };
    }

    if (options.keepRejects && rowsRejected > 0) {
      await session.run(
        keepCsvRejectsSql({
          table: rejectsTables.table,
          firstDataLine: dialect.header ? 2 : 1,
          ...options.keepRejects,
        }),
      );
    }
    enforceMaxRejects({
      format: 'CSV',
      displayName,
      rowsLoaded,
      rowsRejected,
      maxRejects: options.maxRejects,
      rejects,
    });
    for (const [i, name] of columns.entries()) {
      const from = staging[i];
      if (from === undefined) break;
      await session.run(`ALTER TABLE ${target} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(name)}`);
    }
    return { table, tableCreated: true, columns, rowsLoaded, rowsRejected, rejects, empty: false };
  } catch (error) {
    if (created) await dropTable(session, target).catch(() => undefined);
    throw error;
  } finally {
    await session.run(`DROP TABLE IF EXISTS ${quoteIdent(rejectsTables.table)}`);
    await session.run(`DROP TABLE IF EXISTS ${quoteIdent(rejectsTables.scan)}`);
  }
}

/**
 * The file's first record as the probe reads it (its header, or the first row), when the columns are
 * not given or a header must be checked; a header whose width is not that of the given columns is
 * CSV_BAD_HEADER (or the wrong delimiter, when another one reads).
 */
async function readFirstRecord(
  session: DuckDbSession,
  options: LoadCsvOptions,
  read: {
    dialect: NormalizedCsvDialect;
    wrongDelimiterOr: (symptom: string, otherwise: FerryError) => Promise<FerryError>;
  },
): Promise<string[] | undefined> {
  const { path, displayName } = options;
  const { dialect, wrongDelimiterOr } = read;
  if (options.columns !== undefined && !dialect.header) return undefined;
  const firstRecord = await probeCsvFirstRecord(session, {
    path,
    displayName,
    dialect,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  }).catch(async (error: unknown) => {
    throw await wrongDelimiterOr('the first record does not read', csvReadFailed(error, displayName));
  });
  if (
    options.columns !== undefined &&
    firstRecord !== undefined &&
    firstRecord.length !== options.columns.length
  ) {
    throw await wrongDelimiterOr(
      `the header has ${firstRecord.length} column${firstRecord.length === 1 ? '' : 's'}`,
      new FerryError(
        'CSV_BAD_HEADER',
        `${displayName}: the header has ${firstRecord.length} columns, but source.format.columns names ${options.columns.length}.`,
        {
          context: { file: displayName, header: firstRecord.length, columns: options.columns.length },
          hint: 'List one name per column of the file, in file order.',
        },
      ),
    );
  }
  return firstRecord;
}

/**
 * Removes the header row the full read loaded as its first row, and says whether it is the record the
 * probe read first (false: the full read saw the header otherwise, or only rejected it).
 */
async function removeHeaderRow(
  session: DuckDbSession,
  read: {
    target: string;
    staging: readonly string[];
    firstRecord: readonly string[] | undefined;
    nullString: string;
    anyRejects: boolean;
  },
): Promise<boolean> {
  const [row] = await session.all(`DELETE FROM ${read.target} WHERE rowid = 0 RETURNING *`);
  if (row === undefined) return !read.anyRejects;
  const { firstRecord } = read;
  return (
    firstRecord !== undefined &&
    read.staging.every((name, i) => {
      const value = row[name];
      const expected = firstRecord[i];
      return value === expected || (value === null && expected === read.nullString);
    })
  );
}

function checkOptions(options: LoadCsvOptions): void {
  const { columns, displayName } = options;
  assertValidMaxRejects(options.maxRejects, 'CSV');
  if (columns === undefined) return;
  if (columns.length === 0 || columns.length > MAX_CSV_COLUMNS) {
    throw new FerryError('CSV_BAD_OPTIONS', `${displayName}: give 1 to ${MAX_CSV_COLUMNS} column names.`, {
      context: { file: displayName },
    });
  }
  validateCsvHeader(columns, displayName);
}

/**
 * DuckDB's read buffer for the one full read: 64 MiB for an uncompressed file larger than DuckDB's
 * default buffer (16 × the line size, 32 MB), none (the default) otherwise. Loading a 115 MB file into
 * its table took about 1.7 s of CPU with 32 MB buffers and 1.0 s with 64 or 128 MB ones (DuckDB
 * 1.5, 2 threads, rows kept in file order); the same read streamed into a join gained nothing, and
 * small or compressed files keep the default.
 */
export async function largeFileBuffer(
  path: string,
  compression: Compression,
  maxLineBytes: number,
): Promise<number | undefined> {
  if (compression !== 'none') return undefined;
  const size = await stat(path).then(
    (s) => s.size,
    () => 0, // unreadable: DuckDB's read says so
  );
  return size > 16 * maxLineBytes && LARGE_FILE_BUFFER_BYTES > 16 * maxLineBytes
    ? LARGE_FILE_BUFFER_BYTES
    : undefined;
}

async function dropTable(session: DuckDbSession, target: string): Promise<void> {
  await session.run(`DROP TABLE IF EXISTS ${target}`);
}
