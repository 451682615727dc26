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
 * On any error the table is dropped, so a caller never sees a half-checked load.
 */

import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { checkCsvDelimiter } from './check-csv-delimiter.js';
import { compileReadCsv } from './compile-read-csv.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import { assertValidMaxRejects, enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import { normalizeCsvDialect, type CsvDialect, type NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { MAX_CSV_COLUMNS, probeCsvFirstRecord } from './probe-csv-first-record.js';
import { quoteIdent } from './sql.js';
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
}

const DEFAULT_MAX_REJECT_DETAILS = 1000;

/**
 * Loads a CSV file as all-VARCHAR columns with a pinned dialect, keeping rejected rows.
 * Throws FerryError: `CSV_BAD_DIALECT`, `CSV_BAD_OPTIONS`, `CSV_BAD_HEADER`, `CSV_ENCODING`,
 * `CSV_WRONG_DELIMITER`, `CSV_EMPTY_FILE`, `CSV_REJECTS_OVER_LIMIT`, `CSV_READ_FAILED`.
 */
export async function loadCsv(session: DuckDbSession, options: LoadCsvOptions): Promise<LoadCsvResult> {
  const { path, table, displayName } = options;
  const dialect = normalizeCsvDialect(options.dialect, displayName);
  checkOptions(options);
  const maxLine = options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes };

  const firstRecord =
    options.columns === undefined || dialect.header
      ? await probeCsvFirstRecord(session, { path, displayName, dialect, ...maxLine }).catch(
          (error: unknown) => {
            throw readFailed(error, displayName);
          },
        )
      : undefined;
  if (
    options.columns !== undefined &&
    firstRecord !== undefined &&
    firstRecord.length !== options.columns.length
  ) {
    throw new FerryError(
      'CSV_BAD_HEADER',
      `${displayName}: the header has ${firstRecord.length} columns, but source.format.columns names ${options.columns.length}.`,
      {
        context: { file: displayName, header: firstRecord.length, columns: options.columns.length },
        hint: 'List one name per column of the file, in file order.',
      },
    );
  }
  const width = options.columns?.length ?? firstRecord?.length ?? 1;
  const token = createUniqueToken();
  const staging = Array.from({ length: width }, (_, i) => `ferry_${token}_${i + 1}`);
  const rejectsTables = { table: `ferry_rejects_${token}`, scan: `ferry_reject_scans_${token}` };
  const target = quoteIdent(table);

  let created = false;
  try {
    const read = compileReadCsv({ path, dialect, columns: staging, rejects: rejectsTables, ...maxLine });
    await session.run(`CREATE TABLE ${target} AS SELECT * FROM ${read}`).catch((error: unknown) => {
      throw readFailed(error, displayName);
    });
    created = true;

    const summary = await summarizeCsvRejects(session, {
      table: rejectsTables.table,
      firstDataLine: dialect.header ? 2 : 1,
      maxDetails: options.maxRejectDetails ?? DEFAULT_MAX_REJECT_DETAILS,
    });
    const [headerReject] = summary.headerRejects;
    if (headerReject !== undefined) throw headerRejectError(headerReject, displayName, dialect);
    if (summary.firstEncodingReject !== undefined) {
      throw encodingError(summary.firstEncodingReject, summary.encodingRowsRejected, displayName, dialect);
    }

    if (firstRecord === undefined && options.columns === undefined) {
      // The probe found no record, yet a one-column read turns each blank line into a NULL row.
      const onlyColumn = quoteIdent(staging[0] ?? '');
      const [filled] = await session.all(`SELECT count(${onlyColumn}) AS n FROM ${target}`);
      if (Number(filled?.['n'] ?? 0) === 0) await session.run(`DELETE FROM ${target}`);
    }

    let columns: string[];
    if (dialect.header) {
      const removed = await session.all(`DELETE FROM ${target} WHERE rowid = 0 RETURNING *`);
      const row = removed[0];
      if (row === undefined && summary.rowsRejected > 0) throw headerMismatch(displayName);
      if (row !== undefined) {
        const matches =
          firstRecord !== undefined &&
          staging.every((name, i) => {
            const value = row[name];
            const expected = firstRecord[i];
            return value === expected || (value === null && expected === dialect.nullString);
          });
        if (!matches) throw headerMismatch(displayName);
      }
      columns = options.columns ? [...options.columns] : (firstRecord ?? []);
      validateCsvHeader(columns, displayName);
    } else {
      columns =
        options.columns === undefined ? staging.map((_, i) => `column${i + 1}`) : [...options.columns];
    }
    if (width === 1 && options.columns === undefined && firstRecord !== undefined) {
      await checkCsvDelimiter(session, { path, displayName, dialect, ...maxLine });
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

async function dropTable(session: DuckDbSession, target: string): Promise<void> {
  await session.run(`DROP TABLE IF EXISTS ${target}`);
}

function readFailed(error: unknown, displayName: string): FerryError {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FerryError('CSV_READ_FAILED', `${displayName} could not be read as CSV. ${message}`, {
    context: { file: displayName },
    cause: error,
    hint: 'Check the compression and encoding settings against the file.',
  });
}

function headerMismatch(displayName: string): FerryError {
  return new FerryError('CSV_BAD_HEADER', `${displayName}: the header record could not be read.`, {
    context: { file: displayName, line: 1 },
    hint: 'Check the quote and escape settings against the first line of the file, or set header: false.',
  });
}

function headerRejectError(
  reject: CsvReject,
  displayName: string,
  dialect: NormalizedCsvDialect,
): FerryError {
  if (reject.reason === 'invalid-encoding') return encodingError(reject, 1, displayName, dialect);
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

function encodingError(
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
