/**
 * What both ways of reading a CSV batch share (load-csv-batch.ts: separate files;
 * load-csv-batch-joined.ts: one joined file): the read's names and its `read_csv`, its clean-up, a
 * file's header row, and a file's acceptance (its rejects summarized as the one-file load summarizes
 * them, and its reject budget).
 */
import { compileReadCsv } from './compile-read-csv.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import type { Compression } from './detect-compression.js';
import { enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import type { BatchLoadedCsv, LoadCsvBatchOptions } from './csv-batch-types.js';
import type { CsvBatchGroup } from './read-csv-batch-plan.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';
import { summarizeCsvRejects, type CsvReject } from './summarize-csv-rejects.js';

/** One batch read's table, file column, staging columns and reject tables, named apart by `token`. */
export interface BatchRead {
  token: string;
  table: string;
  fileColumn: string;
  staging: string[];
  rejects: { table: string; scan: string };
}

export function nameBatchRead(group: CsvBatchGroup): BatchRead {
  const token = createUniqueToken();
  return {
    token,
    table: `ferry_batch_${token}`,
    fileColumn: `ferry_${token}_file`,
    staging: group.columns.map((_, i) => `ferry_${token}_${i + 1}`),
    rejects: { table: `ferry_rejects_${token}`, scan: `ferry_reject_scans_${token}` },
  };
}

/** Reads `path` into the read's table: the pinned dialect, staging columns, rejects and file column. */
export async function runBatchRead(
  session: DuckDbSession,
  read: BatchRead,
  input: { path: string | string[]; compression: Compression; options: LoadCsvBatchOptions },
): Promise<void> {
  const sql = compileReadCsv({
    path: input.path,
    dialect: { ...input.options.dialect, compression: input.compression },
    columns: read.staging,
    rejects: read.rejects,
    filenameColumn: read.fileColumn,
    maxLineBytes: input.options.maxLineBytes,
  });
  await session.run(`CREATE TABLE ${q(read.table)} AS SELECT * FROM ${sql}`);
}

/** Drops the read's reject tables, and its table too unless a file's rows are kept in it. */
export async function dropBatchRead(
  session: DuckDbSession,
  read: BatchRead,
  keepTable: boolean,
): Promise<void> {
  if (!keepTable) await session.run(`DROP TABLE IF EXISTS ${q(read.table)}`);
  await session.run(`DROP TABLE IF EXISTS ${q(read.rejects.table)}`);
  await session.run(`DROP TABLE IF EXISTS ${q(read.rejects.scan)}`);
}

/**
 * Whether a placed file is taken: its rejects, when it has any, copied into a table of its own by
 * `copyRejectsSql` (lines numbered as in the file) and summarized as exactly its ragged rows; and
 * within max_rejects (else load-csv.ts fails the run with the file's counts and rejects).
 */
export async function acceptBatchFile(
  session: DuckDbSession,
  input: {
    loaded: BatchLoadedCsv;
    index: number;
    read: BatchRead;
    copyRejectsSql: (own: string) => string;
    options: LoadCsvBatchOptions;
  },
): Promise<boolean> {
  const { loaded, options } = input;
  if (loaded.rowsRejected > 0) {
    const own = `${input.read.rejects.table}_${input.index}`;
    await session.run(input.copyRejectsSql(own));
    if (!(await summarizeBatchRejects(session, { loaded, own, options }))) return false;
  }
  return !isOverLimit(loaded, options.maxRejects);
}

/** The rejects a batch expects: ragged rows, which the Node scan predicts. */
const EXPECTED_REJECTS = new Set(['MISSING COLUMNS', 'TOO MANY COLUMNS']);
/** The same, as a list for SQL's `error_type::VARCHAR NOT IN (…)`. */
export const EXPECTED_REJECTS_SQL = [...EXPECTED_REJECTS].map(quoteLiteral).join(', ');

/**
 * True when a row's staging columns hold `header`, as load-csv.ts compares row 0 with the probed
 * header: equal, or NULL where the name is the null string.
 */
export function headerMatchesSql(
  staging: readonly string[],
  header: readonly string[],
  nullString: string | undefined,
): string {
  return staging
    .map((name, i) => {
      const expected = header[i] ?? '';
      const isNull = expected === nullString ? ` OR ${q(name)} IS NULL` : '';
      return `(${q(name)} = ${quoteLiteral(expected)}${isNull})`;
    })
    .join(' AND ');
}

/**
 * Summarizes the file's rejects (the table `own`, lines numbered as in the file) as load-csv.ts does,
 * onto `loaded`; false when they are not exactly its expected ragged rows.
 */
async function summarizeBatchRejects(
  session: DuckDbSession,
  input: { loaded: BatchLoadedCsv; own: string; options: LoadCsvBatchOptions },
): Promise<boolean> {
  const { loaded, own, options } = input;
  const summary = await summarizeCsvRejects(session, {
    table: own,
    firstDataLine: options.dialect.header ? 2 : 1,
    maxDetails: options.maxRejectDetails,
  });
  if (summary.rowsRejected !== loaded.rowsRejected || summary.headerRejects.length > 0) return false;
  if (summary.rejects.some((reject) => !EXPECTED_REJECTS.has(rejectType(reject)))) return false;
  loaded.rejects = summary.rejects;
  loaded.rejectsTable = own;
  return true;
}

function rejectType(reject: CsvReject): string {
  return reject.reason === 'missing-columns'
    ? 'MISSING COLUMNS'
    : reject.reason === 'too-many-columns'
      ? 'TOO MANY COLUMNS'
      : '';
}

/** Over max_rejects: left to load-csv.ts, which fails the run with the file's counts and rejects. */
function isOverLimit(loaded: BatchLoadedCsv, maxRejects: MaxRejects | undefined): boolean {
  try {
    enforceMaxRejects({
      format: 'CSV',
      displayName: loaded.path,
      rowsLoaded: loaded.rowsLoaded,
      rowsRejected: loaded.rowsRejected,
      maxRejects,
    });
    return false;
  } catch {
    return true;
  }
}
