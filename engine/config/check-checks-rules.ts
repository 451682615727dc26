/**
 * Rules for `checks:` and `schema:` that a schema cannot express: bounds given, reject_rows only on
 * checks of single rows, a `matches` pattern that compiles in RE2, one SQL fragment, and columns the
 * mapped rows will have — where the mapping makes them knowable (mapping.fields, or declared CSV
 * columns). SQL that must parse and bind is checked with DuckDB by project/check-checks-sql.ts.
 */
import { RE2JS } from 're2js';
import { checkSqlFragment } from './count-sql-statements.js';
import type { Check, Pipeline } from './model.js';
import type { RuleIssue } from './rule-issue.js';
import { suggest } from './suggest.js';

const TABLE_KINDS: ReadonlySet<Check['kind']> = new Set(['row_count', 'row_count_change', 'freshness']);

/** The columns the map step will output, when the configuration says them all; undefined otherwise. */
export function knownOutputColumns(pipeline: Pipeline): string[] | undefined {
  const mapping = pipeline.mapping;
  const source = pipeline.source;
  const base =
    mapping?.fields ??
    (source.kind === 's3' && source.format.kind === 'csv' ? source.format.columns : undefined) ??
    (source.kind === 'dataset' ? source.fields : undefined);
  if (!base) return undefined;
  const excluded = new Set(mapping?.exclude ?? []);
  const columns = base.filter((c) => !excluded.has(c)).map((c) => mapping?.rename[c] ?? c);
  if (mapping?.timestamp) columns.push(mapping.timestamp.column);
  columns.push(...Object.keys(mapping?.compute ?? {}));
  if (mapping?.rest) columns.push(mapping.rest.into);
  return [...new Set(columns)];
}

function columnsOf(check: Check): Array<{ column: string; path: string }> {
  switch (check.kind) {
    case 'unique':
    case 'not_null':
      return check.columns.map((column, i) => ({ column, path: `/columns/${i}` }));
    case 'accepted_values':
    case 'matches':
    case 'range':
    case 'freshness':
      return [{ column: check.column, path: '/column' }];
    case 'row_count':
    case 'row_count_change':
    case 'sql':
      return [];
  }
}

function hasBounds(check: Check): boolean {
  if (check.kind === 'range' || check.kind === 'row_count')
    return check.min !== undefined || check.max !== undefined;
  if (check.kind === 'row_count_change')
    return check.maxDecreasePercent !== undefined || check.maxIncreasePercent !== undefined;
  return true;
}

export function checkChecksRules(pipeline: Pipeline): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const known = knownOutputColumns(pipeline);
  for (const [i, check] of (pipeline.checks ?? []).entries()) {
    const where = pipeline.origin.checks?.[i];
    if (!where) continue;
    const at = (path: string) => ({ file: where.file, pointer: where.pointer + path });
    if (!hasBounds(check)) {
      issues.push({
        code: 'CHECK_NO_BOUND',
        severity: 'error',
        message: `Check "${check.name}" (${check.kind}) has no bound, so it can never fail.`,
        hint:
          check.kind === 'row_count_change'
            ? 'Set max_decrease_percent, max_increase_percent or both.'
            : 'Set min, max or both.',
        ...at(''),
      });
    }
    if (
      check.onFail === 'reject_rows' &&
      (TABLE_KINDS.has(check.kind) || (check.kind === 'sql' && check.query !== undefined))
    ) {
      issues.push({
        code: 'CHECK_REJECT_ROWS_UNSUPPORTED',
        severity: 'error',
        message: `Check "${check.name}" (${check.kind}) looks at all rows together, so it has no failing rows to reject.`,
        hint: 'Use on_fail: fail_run (the default), or severity: warn to only report it.',
        ...at('/on_fail'),
      });
    }
    if (check.kind === 'matches') {
      try {
        RE2JS.compile(check.pattern);
      } catch (error) {
        issues.push({
          code: 'CHECK_BAD_PATTERN',
          severity: 'error',
          message: `Check "${check.name}": the pattern is not a valid RE2 regular expression: ${error instanceof Error ? error.message : String(error)}.`,
          hint: 'DuckDB uses RE2: no lookarounds (?=…) or backreferences \\1. The whole value must match.',
          ...at('/pattern'),
        });
      }
    }
    if (check.kind === 'sql') {
      if ((check.expression === undefined) === (check.query === undefined)) {
        issues.push({
          code: 'CHECK_SQL_EXPRESSION_OR_QUERY',
          severity: 'error',
          message: `Check "${check.name}" needs exactly one of expression (per row) or query (over all rows).`,
          ...at(''),
        });
      }
      const sql = check.expression ?? check.query;
      if (sql !== undefined && checkSqlFragment(sql)) {
        issues.push({
          code: 'CHECK_SQL_INVALID',
          severity: 'error',
          message: `Check "${check.name}": the SQL must be one statement without ";" and with every quote closed.`,
          ...at(check.expression !== undefined ? '/expression' : '/query'),
        });
      }
    }
    if (known) {
      for (const { column, path } of columnsOf(check)) {
        if (known.includes(column)) continue;
        const guess = suggest(column, known);
        issues.push({
          code: 'CHECK_UNKNOWN_COLUMN',
          severity: 'error',
          message: `Check "${check.name}" names column "${column}", which the mapped rows will not have.`,
          hint: guess
            ? `Did you mean "${guess}"? The mapped columns: ${known.join(', ')}.`
            : `The mapped columns: ${known.join(', ')}.`,
          ...at(path),
        });
      }
    }
  }
  return issues;
}
