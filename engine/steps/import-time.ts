/**
 * mapping.timestamp.default: import-time — rows without a time get the run's start time. That time
 * is bookkeeping, not data: change detection (diff snapshots, dataset merges) must not see it, or
 * every run would "change" every row it fills. Hashes therefore read a filled value as NULL: a value
 * equal to this run's import time is one ferry filled (a source value equal to the microsecond is
 * read the same way, which at worst hides a change from empty to exactly now).
 */
import type { Mapping } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';

export interface ImportTime {
  /** The filled column (mapping.timestamp.column). */
  column: string;
  /** SQL literal of the run's import time (TIMESTAMPTZ). */
  value: string;
}

export function importTimeOf(mapping: Mapping | undefined, runTime: Date): ImportTime | undefined {
  const timestamp = mapping?.timestamp;
  if (timestamp?.default !== 'import-time') return undefined;
  return { column: timestamp.column, value: importTimeLiteral(runTime) };
}

export function importTimeLiteral(runTime: Date): string {
  return `CAST(${quoteLiteral(runTime.toISOString())} AS TIMESTAMPTZ)`;
}

/** A column's value as change detection sees it (`sql` defaults to the bare column). */
export function hashedValue(column: string, importTime: ImportTime | undefined, sql = q(column)): string {
  return importTime?.column === column ? `NULLIF(${sql}, ${importTime.value})` : sql;
}
