/**
 * The reject budget shared by the CSV and JSON loaders. Rejected rows are reported either way; the
 * budget decides whether a file with that many bad rows is still worth loading. Counted over data rows
 * (loaded + rejected), so a percentage means the same thing for every format.
 */

import { FerryError } from '../errors/ferry-error.js';

/** At most `value` rejected rows, or at most `value` percent of the file's data rows. */
export type MaxRejects = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** A rejected row as the loaders report it: physical line, reason word, detail. */
export interface RejectDetail {
  line: number;
  reason: string;
  detail: string;
}

export interface EnforceMaxRejectsOptions {
  format: 'CSV' | 'JSON';
  displayName: string;
  rowsLoaded: number;
  rowsRejected: number;
  maxRejects: MaxRejects | undefined;
  /** The first rejects in detail; the error carries them (see `rejectsOverLimit`). */
  rejects?: readonly RejectDetail[];
}

/** What a file over its budget had loaded and rejected, kept with the error it failed with. */
export interface RejectsOverLimit {
  rowsLoaded: number;
  rowsRejected: number;
  rejects: readonly RejectDetail[];
}

// A side table rather than a field: FerryError stays one class, its context plain values.
const overLimit = new WeakMap<FerryError, RejectsOverLimit>();

/**
 * The counts and first rejects of a `*_REJECTS_OVER_LIMIT` error, so that a failed run still
 * reports them (the report and the run record); undefined for any other error.
 */
export function rejectsOverLimit(error: unknown): RejectsOverLimit | undefined {
  return error instanceof FerryError ? overLimit.get(error) : undefined;
}

function describeLimit(limit: MaxRejects): string {
  return limit.kind === 'count' ? `${limit.value} rows` : `${limit.value}% of rows`;
}

/** Throws if a reject budget is malformed (negative, non-integer count, percent over 100). */
export function assertValidMaxRejects(limit: MaxRejects | undefined, format: 'CSV' | 'JSON'): void {
  if (limit === undefined) return;
  const valid =
    limit.kind === 'count'
      ? Number.isInteger(limit.value) && limit.value >= 0
      : Number.isFinite(limit.value) && limit.value >= 0 && limit.value <= 100;
  if (!valid) {
    throw new FerryError(`${format}_BAD_OPTIONS`, `max_rejects ${limit.kind} ${limit.value} is not valid.`, {
      hint: 'Use a whole number of rows (0 or more), or a percentage from 0 to 100.',
    });
  }
}

/**
 * Throws `CSV_REJECTS_OVER_LIMIT` / `JSON_REJECTS_OVER_LIMIT` when the rejected rows exceed the budget.
 * The counts go on the error's context; the counts and the first rejects also go with the error
 * (`rejectsOverLimit`), since the caller gets no result to take them from.
 */
export function enforceMaxRejects(options: EnforceMaxRejectsOptions): void {
  const { maxRejects, rowsLoaded, rowsRejected, format, displayName, rejects = [] } = options;
  if (maxRejects === undefined || rowsRejected === 0) return;
  const total = rowsLoaded + rowsRejected;
  const over =
    maxRejects.kind === 'count'
      ? rowsRejected > maxRejects.value
      : rowsRejected * 100 > maxRejects.value * total;
  if (!over) return;
  const error = new FerryError(
    `${format}_REJECTS_OVER_LIMIT`,
    `${displayName}: ${rowsRejected} of ${total} rows were rejected, more than the allowed ${describeLimit(maxRejects)}.`,
    {
      context: {
        file: displayName,
        rowsRejected,
        rowsLoaded,
        maxRejects: maxRejects.kind === 'count' ? maxRejects.value : `${maxRejects.value}%`,
      },
      hint: 'Look at the rejected rows in the run report; fix the file or the dialect, or raise max_rejects.',
    },
  );
  overLimit.set(error, { rowsLoaded, rowsRejected, rejects });
  throw error;
}
