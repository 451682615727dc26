/**
 * Turns the recorded DuckDB statements of one `apply` into a wall-clock breakdown by phase. Statements
 * ferry records in the plan (`plan.sql`) carry their step; the others are the session's sandbox `SET`s
 * and the rejected-rows table made when it opens (counted as opening), and load-csv's internal
 * statements (probe, rejects summary, header check, renames), counted under load. Time between
 * statements that is not DuckDB is S3 and file work: before the first load statement is the fetch
 * (and load-csv's line-length pass over the file); after the last statement the upload (up to the last HeadObject), then the
 * state commit, closing DuckDB and removing the temp dir.
 */
import type { PipelinePlan } from '../../engine/plan/plan-model.js';
import { CREATE_REJECTED_ROWS_TABLE } from '../../engine/steps/rejected-rows.js';
import type { S3RequestRecord } from './record-s3-requests.js';
import type { StatementRecord } from './record-statements.js';

export interface Phase {
  name: string;
  /** Wall clock of the phase. */
  seconds: number;
  /** Time inside DuckDB statements during the phase. */
  sqlSeconds: number;
  statements: number;
}

export interface TimedStatement {
  step: string;
  sql: string;
  seconds: number;
}

export interface Breakdown {
  phases: Phase[];
  statements: TimedStatement[];
}

/** The steps with SQL of a diff import, in execution order (the default). */
export const DIFF_SQL_STEPS = ['load', 'check-schema', 'map', 'check', 'diff', 'write-files'] as const;

export function breakDown(options: {
  records: readonly StatementRecord[];
  requests: readonly S3RequestRecord[];
  plan: PipelinePlan;
  start: number;
  end: number;
  /** Steps with SQL to show as phases, in execution order (default: load, map, diff, write-files). */
  steps?: readonly string[];
}): Breakdown {
  const { records, plan, start, end } = options;
  const sqlSteps = options.steps ?? DIFF_SQL_STEPS;
  // Attribute each statement to a step: plan.sql holds ferry's own statements in execution order.
  const steps: string[] = [];
  let next = 0;
  for (const record of records) {
    const planned = plan.sql[next];
    if (planned !== undefined && planned.sql === record.sql) {
      steps.push(planned.step);
      next++;
    } else if (/^\s*SET\s/i.test(record.sql) || record.sql === CREATE_REJECTED_ROWS_TABLE) {
      steps.push('open');
    } else {
      steps.push('load');
    }
  }
  const statements = records.map((r, i) => ({
    step: steps[i] ?? '?',
    sql: r.sql,
    seconds: (r.end - r.start) / 1000,
  }));
  const first = (step: string): number => steps.indexOf(step);
  const last = (step: string): number => steps.lastIndexOf(step);
  const sqlSeconds = (step: string): number =>
    statements.filter((s) => s.step === step).reduce((sum, s) => sum + s.seconds, 0);
  const count = (step: string): number => steps.filter((s) => s === step).length;

  const phases: Phase[] = [];
  const lastOpen = last('open');
  const openEnd = lastOpen >= 0 ? (records[lastOpen]?.end ?? start) : start;
  phases.push({
    name: 'prepare (state, lock, list, open DuckDB)',
    seconds: (openEnd - start) / 1000,
    sqlSeconds: sqlSeconds('open'),
    statements: count('open'),
  });
  const firstLoad = first('load');
  const loadStart = firstLoad >= 0 ? (records[firstLoad]?.start ?? openEnd) : openEnd;
  phases.push({
    name: 'fetch (S3 GET + sha256, then the CSV line-length pass)',
    seconds: (loadStart - openEnd) / 1000,
    sqlSeconds: 0,
    statements: 0,
  });
  const lastRecord = records[records.length - 1];
  const sqlEnd = lastRecord?.end ?? loadStart;
  for (const [index, step] of sqlSteps.entries()) {
    const from = first(step);
    if (from < 0) continue;
    const following = sqlSteps
      .slice(index + 1)
      .map(first)
      .find((i) => i >= 0);
    const stepStart = records[from]?.start ?? 0;
    const stepEnd = following === undefined ? sqlEnd : (records[following]?.start ?? sqlEnd);
    phases.push({
      name: step,
      seconds: (stepEnd - stepStart) / 1000,
      sqlSeconds: sqlSeconds(step),
      statements: count(step),
    });
  }
  // The upload ends with the HeadObject that verifies the last object.
  const uploadEnd = options.requests
    .filter((r) => r.start >= sqlEnd && r.command === 'HeadObjectCommand' && Number.isFinite(r.end))
    .reduce((latest, r) => Math.max(latest, r.end), sqlEnd);
  phases.push({
    name: 'upload (sha256, PUT, HEAD verify)',
    seconds: (uploadEnd - sqlEnd) / 1000,
    sqlSeconds: 0,
    statements: 0,
  });
  phases.push({
    name: 'commit state, close DuckDB, clean up',
    seconds: (end - uploadEnd) / 1000,
    sqlSeconds: 0,
    statements: 0,
  });
  return { phases, statements };
}
