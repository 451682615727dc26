/**
 * Validate-time check of `sql` checks with DuckDB: the expression or query must parse, and — where
 * the mapped columns are knowable (check-checks-rules.ts) — bind against a table `rows` with those
 * columns. DuckDB starts (in a worker) only when some pipeline has a `sql` check.
 */
import { knownOutputColumns } from '../config/check-checks-rules.js';
import type { RuleIssue } from '../config/rule-issue.js';
import type { Pipeline } from '../config/model.js';
import { checkSqlFragment } from '../config/count-sql-statements.js';
import { openSyncDuckDb, type SyncQueryResult } from '../duckdb/run-duckdb-sync.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';

interface SqlCheck {
  name: string;
  sql: string;
  query: boolean;
  columns: string[] | undefined;
  file: string;
  pointer: string;
}

function sqlChecks(pipelines: readonly Pipeline[]): SqlCheck[] {
  const found = new Map<string, SqlCheck>();
  for (const pipeline of pipelines) {
    for (const [i, check] of (pipeline.checks ?? []).entries()) {
      const where = pipeline.origin.checks?.[i];
      if (check.kind !== 'sql' || !where) continue;
      const sql = check.expression ?? check.query;
      if (sql === undefined || checkSqlFragment(sql)) continue; // check-checks-rules reports those
      const pointer = `${where.pointer}/${check.expression !== undefined ? 'expression' : 'query'}`;
      const columns = knownOutputColumns(pipeline);
      const key = `${where.file}#${pointer}#${columns?.join(',') ?? ''}`;
      found.set(key, {
        name: check.name,
        sql,
        query: check.expression === undefined,
        columns,
        file: where.file,
        pointer,
      });
    }
  }
  return [...found.values()];
}

function failure(result: SyncQueryResult | undefined): string | undefined {
  if (!result) return 'no answer';
  if ('error' in result) return result.error;
  const serialized = result.rows[0]?.['s'];
  if (typeof serialized === 'string') {
    const parsed = JSON.parse(serialized) as { error?: boolean; error_message?: string };
    if (parsed.error) return parsed.error_message ?? 'does not parse';
  }
  return undefined;
}

export function checkChecksSql(pipelines: readonly Pipeline[]): RuleIssue[] {
  const checks = sqlChecks(pipelines);
  if (checks.length === 0) return [];
  const db = openSyncDuckDb();
  const issues: RuleIssue[] = [];
  try {
    for (const check of checks) {
      const statement = check.query ? check.sql : `SELECT (${check.sql}) FROM rows`;
      const queries = [`SELECT json_serialize_sql(${quoteLiteral(statement)}) AS s`];
      if (check.columns) {
        const columns = check.columns.length
          ? check.columns.map((c) => `CAST(NULL AS VARCHAR) AS ${q(c)}`).join(', ')
          : '1 AS _ferry_none';
        queries.push(
          `CREATE OR REPLACE TEMP TABLE rows AS SELECT ${columns} LIMIT 0`,
          `SELECT * FROM (${statement}) LIMIT 0`,
        );
      }
      const results = db.query(queries);
      const problem = results.map(failure).find((f) => f !== undefined);
      if (problem === undefined) continue;
      issues.push({
        code: 'CHECK_SQL_INVALID',
        severity: 'error',
        message: `Check "${check.name}": DuckDB cannot ${check.columns ? 'run' : 'parse'} this SQL: ${problem.split('\n')[0] ?? problem}`,
        hint: check.columns
          ? `It runs over the mapped rows (table rows): ${check.columns.join(', ')}.`
          : 'expression: a boolean per row; query: one SELECT over the table rows returning one boolean.',
        file: check.file,
        pointer: check.pointer,
      });
    }
  } finally {
    db.close();
  }
  return issues;
}
