/**
 * check: the pipeline's data checks on the mapped rows, after the map step and before anything is
 * written, in plan and apply alike. Every check runs and is reported (failing rows, first keys);
 * then rows failing `on_fail: reject_rows` checks are set aside in the run's rejected-rows file and
 * left out of what goes on, warn-level failures become warnings, and a failed fail-level check stops
 * the run with CHECK_FAILED (exit code 6) before any write.
 */
import type { Check, Pipeline } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { duckDbMessageOf } from '../duckdb/wrap-duckdb-error.js';
import { FerryError } from '../errors/ferry-error.js';
import type { CheckResult, CheckStep } from '../plan/plan-model.js';
import { CHECK_ROWS_VIEW, compileCheckSql, judgeRowCount } from './compile-check-sql.js';
import { FILE_COLUMN, REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { MAX_RECORD_CHARS, REJECTED_ROWS_TABLE } from './rejected-rows.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';

/** Failing keys a plan shows per check. */
export const SAMPLE_KEYS = 5;
const REJECTS = 'ferry_check_rejects';
const CHECKED = 'checked';

/** The columns a failing row is named by: the check's own (unique), else the pipeline's key. */
function keyColumns(
  pipeline: Pipeline,
  project: StepContext['project'],
  check: Check,
  columns: readonly string[],
): string[] {
  if (check.kind === 'unique') return check.columns;
  const sink = pipeline.sink;
  const key =
    pipeline.mapping?.key ??
    pipeline.diff?.key ??
    (sink.kind === 'dataset' ? project.datasets[sink.dataset]?.key : undefined);
  return (key ?? []).filter((c) => columns.includes(c));
}

/** Where the check is written, relative to the pipeline (for FerryError's `config`), when it is the pipeline's own. */
function configPointer(pipeline: Pipeline, index: number): string | undefined {
  const origin = pipeline.origin.checks?.[index];
  if (!origin || origin.file !== pipeline.origin.file || !origin.pointer.startsWith(pipeline.origin.pointer))
    return undefined;
  return origin.pointer.slice(pipeline.origin.pointer.length);
}

async function createRowsView(context: StepContext): Promise<string | undefined> {
  const table = context.outputTable ?? 'output';
  if (context.columns.length === 0) return undefined;
  const described = await querySql(context, 'check', `DESCRIBE ${q(table)}`);
  const names = new Set(described.map((r) => String(r['column_name'])));
  const rowColumn = names.has(ROW_COLUMN) ? ROW_COLUMN : ORDER_COLUMN;
  const columns = context.columns.filter((c) => names.has(c));
  await runSql(
    context,
    'check',
    `CREATE VIEW ${q(CHECK_ROWS_VIEW)} AS SELECT ${[...columns.map(q), `${q(rowColumn)} AS ${q(ROW_COLUMN)}`].join(', ')} FROM ${q(table)}` +
      (names.has(REJECT_COLUMN) ? ` WHERE ${q(REJECT_COLUMN)} IS NULL` : ''),
  );
  return rowColumn;
}

async function runCheck(
  context: StepContext,
  check: Check,
  index: number,
  rows: number,
): Promise<CheckResult> {
  const base = { name: check.name, kind: check.kind, severity: check.severity, onFail: check.onFail };
  const compiled = compileCheckSql(check, { runTime: context.runTime });
  if (compiled.scope === 'count') {
    if (check.kind !== 'row_count' && check.kind !== 'row_count_change') throw new Error('unreachable');
    const judged = judgeRowCount(check, rows, context.state.rowCount);
    return {
      ...base,
      status: judged.ok ? 'passed' : 'failed',
      failingRows: judged.ok ? 0 : 1,
      sampleKeys: [],
      detail: judged.detail,
    };
  }
  try {
    if (compiled.scope === 'table') {
      const [answer] = await querySql(context, 'check', compiled.query);
      const ok = answer?.['ok'] === true;
      const raw = answer?.['value'];
      const value = typeof raw === 'string' ? raw : undefined;
      const detail =
        check.kind === 'freshness'
          ? `newest ${value ?? 'none'}; max age ${check.maxAge}`
          : `query answered ${value ?? 'NULL'}`;
      return { ...base, status: ok ? 'passed' : 'failed', failingRows: ok ? 0 : 1, sampleKeys: [], detail };
    }
    const [count] = await querySql(context, 'check', `SELECT count(*) AS n FROM (${compiled.failingRows})`);
    const failing = Number(count?.['n'] ?? 0);
    const keys = keyColumns(context.pipeline, context.project, check, context.columns);
    const sample =
      failing === 0
        ? []
        : await querySql(
            context,
            'check',
            `SELECT ${[...keys.map((k, i) => `CAST(${q(k)} AS VARCHAR) AS k${i}`), q(ROW_COLUMN)].join(', ')} FROM (${compiled.failingRows}) ORDER BY ${q(ROW_COLUMN)} LIMIT ${SAMPLE_KEYS}`,
          );
    if (failing > 0 && check.onFail === 'reject_rows') {
      await runSql(
        context,
        'check',
        `INSERT INTO ${q(REJECTS)} SELECT ${q(ROW_COLUMN)}, ${quoteLiteral(`check:${check.name}`)} FROM (${compiled.failingRows})`,
      );
    }
    return {
      ...base,
      status: failing === 0 ? 'passed' : 'failed',
      failingRows: failing,
      sampleKeys: sample.map((r) =>
        keys.length
          ? keys.map((k, i) => `${k}=${r[`k${i}`] === null ? 'NULL' : String(r[`k${i}`])}`).join(', ')
          : `row ${String(r[ROW_COLUMN])}`,
      ),
      ...(check.onFail === 'reject_rows' ? { rowsRejected: failing } : {}),
    };
  } catch (error) {
    if (error instanceof FerryError) throw error;
    const pointer = configPointer(context.pipeline, index);
    throw new FerryError(
      'CHECK_INVALID',
      `Check "${check.name}" cannot run on the mapped rows: ${duckDbMessageOf(error)}`,
      {
        cause: error,
        context: { pipeline: context.pipeline.name, step: 'check', ...(pointer ? { config: pointer } : {}) },
        hint: `The check reads the columns after mapping: ${context.columns.join(', ')}. Run \`ferry validate\`.`,
      },
    );
  }
}

export async function executeCheckStep(context: StepContext, step: CheckStep): Promise<void> {
  const checks = context.pipeline.checks ?? [];
  const rowColumn = await createRowsView(context);
  const [counted] = rowColumn
    ? await querySql(context, 'check', `SELECT count(*) AS n FROM ${q(CHECK_ROWS_VIEW)}`)
    : [];
  const rows = Number(counted?.['n'] ?? 0);
  await runSql(context, 'check', `CREATE TABLE ${q(REJECTS)} (${q(ROW_COLUMN)} BIGINT, reason VARCHAR)`);
  const results: CheckResult[] = [];
  if (context.findings) {
    context.findings.checks = results;
    context.findings.checkedRows = rows;
  }
  for (const [index, check] of checks.entries()) {
    const needsRows = check.kind !== 'row_count' && check.kind !== 'row_count_change';
    if (needsRows && !rowColumn) {
      results.push({
        name: check.name,
        kind: check.kind,
        severity: check.severity,
        onFail: check.onFail,
        status: check.kind === 'freshness' ? 'failed' : 'passed',
        failingRows: check.kind === 'freshness' ? 1 : 0,
        sampleKeys: [],
        detail: 'no rows',
      });
      continue;
    }
    results.push(await runCheck(context, check, index, rows));
  }
  if (rowColumn) await rejectRows(context, step, rowColumn);
  reportFailures(context, checks, results);
}

/** Rows failing reject_rows checks: into the rejected-rows file (first reason per row), out of what goes on. */
async function rejectRows(context: StepContext, step: CheckStep, rowColumn: string): Promise<void> {
  const [counted] = await querySql(
    context,
    'check',
    `SELECT count(DISTINCT ${q(ROW_COLUMN)}) AS n FROM ${q(REJECTS)}`,
  );
  const rejected = Number(counted?.['n'] ?? 0);
  if (rejected === 0) return;
  context.counts.rowsRejected += rejected;
  const first = `SELECT ${q(ROW_COLUMN)}, min(reason) AS reason FROM ${q(REJECTS)} GROUP BY 1`;
  const record = `left(CAST(to_json({${context.columns.map((c) => `${quoteLiteral(c)}: v.${q(c)}`).join(', ')}}) AS VARCHAR), ${MAX_RECORD_CHARS})`;
  await runSql(
    context,
    'check',
    `INSERT INTO ${q(REJECTED_ROWS_TABLE)} SELECT m.${q(FILE_COLUMN)}, NULL, r.${q(ROW_COLUMN)}, 'check', r.reason, ${record} ` +
      `FROM (${first}) r JOIN ${q(CHECK_ROWS_VIEW)} v ON v.${q(ROW_COLUMN)} = r.${q(ROW_COLUMN)} LEFT JOIN ${q(step.mappedTable)} m ON m.${q(ROW_COLUMN)} = r.${q(ROW_COLUMN)}`,
  );
  const room = Math.max(0, MAX_REJECT_DETAILS - context.rejects.length);
  const details = await querySql(
    context,
    'check',
    `SELECT m.${q(FILE_COLUMN)} AS file, r.${q(ROW_COLUMN)} AS row, r.reason FROM (${first}) r LEFT JOIN ${q(step.mappedTable)} m ON m.${q(ROW_COLUMN)} = r.${q(ROW_COLUMN)} ORDER BY 2 LIMIT ${room}`,
  );
  for (const d of details) {
    context.rejects.push({
      file: typeof d['file'] === 'string' ? d['file'] : '',
      line: null,
      row: Number(d['row']),
      reason: String(d['reason']),
    });
  }
  const table = context.outputTable ?? 'output';
  await runSql(
    context,
    'check',
    `CREATE VIEW ${q(CHECKED)} AS SELECT * FROM ${q(table)} WHERE ${q(rowColumn)} NOT IN (SELECT ${q(ROW_COLUMN)} FROM ${q(REJECTS)})`,
  );
  context.outputTable = CHECKED;
}

function describeResult(r: CheckResult): string {
  const what =
    r.detail ??
    `${r.failingRows} row${r.failingRows === 1 ? '' : 's'}${r.sampleKeys.length ? ` (${r.sampleKeys.join('; ')}${r.failingRows > r.sampleKeys.length ? '; …' : ''})` : ''}`;
  return `${r.name}: ${what}`;
}

function reportFailures(
  context: StepContext,
  checks: readonly Check[],
  results: readonly CheckResult[],
): void {
  const refusing: CheckResult[] = [];
  for (const r of results) {
    if (r.status !== 'failed') continue;
    if (r.severity === 'fail' && r.onFail === 'fail_run') refusing.push(r);
    else
      context.warnings.push({
        code: 'CHECK_WARNING',
        message: `Check ${describeResult(r)}${r.rowsRejected ? ` — ${r.rowsRejected} rejected` : ''}.`,
      });
  }
  if (refusing.length === 0) return;
  const index = checks.findIndex((c) => c.name === refusing[0]?.name);
  const pointer = configPointer(context.pipeline, index);
  throw new FerryError(
    'CHECK_FAILED',
    `${refusing.length} data check${refusing.length === 1 ? '' : 's'} failed, nothing was written: ${refusing.map(describeResult).join('; ')}.`,
    {
      context: { pipeline: context.pipeline.name, step: 'check', ...(pointer ? { config: pointer } : {}) },
      hint: 'Fix the source data and run again, or change the check (severity: warn, on_fail: reject_rows); see docs/data-checks.md.',
    },
  );
}
