/**
 * The boundary between DuckDB and ferry: a failed statement becomes a FerryError `DUCKDB_ERROR` that
 * names the kind of statement (SELECT, CREATE, SET…) and the first line of DuckDB's message, never the
 * SQL itself, so a message stays short and cannot leak what a statement was built from. The full DuckDB
 * error stays available as the cause; loaders use `duckDbMessageOf` to refine it into their own codes.
 */

import { FerryError, isFerryError } from '../errors/ferry-error.js';

const MAX_MESSAGE_CHARS = 300;

/** The first keyword of a statement, upper-cased, e.g. `SELECT`; `SQL` when there is none. */
export function statementKindOf(sql: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(sql);
  return match?.[1]?.toUpperCase() ?? 'SQL';
}

/** DuckDB's own message for an error, looking through FerryError causes; '' when there is none. */
export function duckDbMessageOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (isFerryError(current)) {
      current = current.cause;
      continue;
    }
    if (current instanceof Error) return current.message;
    return typeof current === 'string' ? current : '';
  }
  return '';
}

/** Wraps an error thrown by the DuckDB node API while running `sql` into FerryError `DUCKDB_ERROR`. */
export function wrapDuckDbError(error: unknown, sql: string): FerryError {
  if (isFerryError(error)) return error;
  const kind = statementKindOf(sql);
  const firstLine = (duckDbMessageOf(error).split('\n')[0] ?? '').trim();
  const shortened =
    firstLine.length > MAX_MESSAGE_CHARS ? `${firstLine.slice(0, MAX_MESSAGE_CHARS)}…` : firstLine;
  return new FerryError('DUCKDB_ERROR', `DuckDB ${kind} statement failed: ${shortened}`, {
    context: { operation: 'duckdb', statement: kind },
    cause: error,
    hint: 'ferry built this statement: `ferry plan --show-sql` prints it. If the configuration and input look right, please report it as a ferry bug.',
  });
}
