/**
 * The data checks as DuckDB SQL over the view `rows` (the mapped rows that go on, with their
 * `_ferry_row`). Pure. A check of single rows compiles to a SELECT of its failing rows, so counting
 * them, showing the first few and rejecting them are the same query; a check of the whole table
 * compiles to one aggregate whose answer the check step compares with the bounds.
 */
import type { Check } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';

/** The view the checks read (and `sql: {query}` names): the mapped rows that go on. */
export const CHECK_ROWS_VIEW = 'rows';

/** Checks of single rows: they can reject the rows that fail them. */
export const ROW_CHECK_KINDS: ReadonlySet<Check['kind']> = new Set([
  'unique',
  'not_null',
  'accepted_values',
  'matches',
  'range',
  'sql',
]);

export type CompiledCheck =
  | { scope: 'rows'; failingRows: string }
  /** One row: `value` (a number or text to show) and `ok` (boolean, NULL = fails). */
  | { scope: 'table'; query: string }
  /** Decided from the row count alone (row_count, row_count_change). */
  | { scope: 'count' };

const R = q(CHECK_ROWS_VIEW);
const text = (column: string) => `CAST(${q(column)} AS VARCHAR)`;

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? quoteLiteral(value) : quoteLiteral(String(value));
}

function rangeFails(column: string, bound: number | string, op: '<' | '>'): string {
  // A number bound compares numbers: text that is not a number fails (it is out of any range).
  if (typeof bound === 'number') {
    const n = `TRY_CAST(${q(column)} AS DOUBLE)`;
    return `(${n} IS NULL OR ${n} ${op} ${String(bound)})`;
  }
  return `${q(column)} ${op} ${quoteLiteral(bound)}`;
}

/** A row check whose `sql` is a WHERE clause over `rows`. */
function where(predicate: string): CompiledCheck {
  return { scope: 'rows', failingRows: `SELECT * FROM ${R} WHERE ${predicate}` };
}

export function compileCheckSql(check: Check, input: { runTime: Date }): CompiledCheck {
  switch (check.kind) {
    case 'unique': {
      const by = check.columns.map(q).join(', ');
      return {
        scope: 'rows',
        failingRows: `SELECT * EXCLUDE (_ferry_n) FROM (SELECT *, count(*) OVER (PARTITION BY ${by}) AS _ferry_n FROM ${R}) WHERE _ferry_n > 1`,
      };
    }
    case 'not_null':
      return where(check.columns.map((c) => `(${q(c)} IS NULL OR ${text(c)} = '')`).join(' OR '));
    case 'accepted_values':
      return where(
        `${q(check.column)} IS NOT NULL AND ${text(check.column)} NOT IN (${check.values.map(literal).join(', ')})`,
      );
    case 'matches':
      return where(
        `${q(check.column)} IS NOT NULL AND NOT regexp_full_match(${text(check.column)}, ${quoteLiteral(check.pattern)})`,
      );
    case 'range': {
      const fails = [
        ...(check.min !== undefined ? [rangeFails(check.column, check.min, '<')] : []),
        ...(check.max !== undefined ? [rangeFails(check.column, check.max, '>')] : []),
      ];
      return where(
        `${q(check.column)} IS NOT NULL AND ${text(check.column)} <> '' AND (${fails.join(' OR ')})`,
      );
    }
    case 'sql':
      if (check.expression !== undefined) return where(`NOT coalesce((${check.expression}), false)`);
      return {
        scope: 'table',
        query: `SELECT CAST(ok AS VARCHAR) AS value, ok FROM (SELECT * FROM (${check.query ?? 'SELECT false'}) LIMIT 1) AS answer(ok)`,
      };
    case 'freshness': {
      const newest = `max(TRY_CAST(${q(check.column)} AS TIMESTAMPTZ))`;
      const oldest = `TIMESTAMPTZ ${quoteLiteral(input.runTime.toISOString())} - INTERVAL ${check.maxAgeMs} MILLISECOND`;
      return {
        scope: 'table',
        query: `SELECT strftime(${newest} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS value, ${newest} >= ${oldest} AS ok FROM ${R}`,
      };
    }
    case 'row_count':
    case 'row_count_change':
      return { scope: 'count' };
  }
}

/** row_count and row_count_change: whether `rows` passes, and what was measured, in words. */
export function judgeRowCount(
  check: Extract<Check, { kind: 'row_count' | 'row_count_change' }>,
  rows: number,
  previousRows: number | undefined,
): { ok: boolean; detail: string } {
  if (check.kind === 'row_count') {
    const ok =
      (check.min === undefined || rows >= check.min) && (check.max === undefined || rows <= check.max);
    const bounds = [
      check.min !== undefined ? `min ${check.min}` : '',
      check.max !== undefined ? `max ${check.max}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return { ok, detail: `${rows} rows; ${bounds}` };
  }
  if (previousRows === undefined || previousRows === 0) {
    return { ok: true, detail: `${rows} rows; no previous successful run to compare with` };
  }
  const change = ((rows - previousRows) / previousRows) * 100;
  const ok =
    (check.maxDecreasePercent === undefined || -change <= check.maxDecreasePercent) &&
    (check.maxIncreasePercent === undefined || change <= check.maxIncreasePercent);
  const limits = [
    check.maxDecreasePercent !== undefined ? `max decrease ${check.maxDecreasePercent}%` : '',
    check.maxIncreasePercent !== undefined ? `max increase ${check.maxIncreasePercent}%` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const signed = `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
  return { ok, detail: `${rows} rows, ${signed} from ${previousRows}; ${limits}` };
}
