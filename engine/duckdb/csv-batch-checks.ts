/**
 * The checks both ways of reading a CSV batch share (load-csv-batch.ts: separate files;
 * load-csv-batch-joined.ts: one joined file): a file's header row, its rejects summarized as the
 * one-file load summarizes them, and its reject budget.
 */
import type { DuckDbSession } from './create-duckdb-session.js';
import { enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import type { BatchLoadedCsv, LoadCsvBatchOptions } from './csv-batch-types.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';
import { summarizeCsvRejects, type CsvReject } from './summarize-csv-rejects.js';

/** The rejects a batch expects: ragged rows, which the Node scan predicts. */
export const EXPECTED_REJECTS = new Set(['MISSING COLUMNS', 'TOO MANY COLUMNS']);

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
export async function summarizeBatchRejects(
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
export function isOverLimit(loaded: BatchLoadedCsv, maxRejects: MaxRejects | undefined): boolean {
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
