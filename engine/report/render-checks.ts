/**
 * Data checks and schema drift in the plan renderings: per pipeline in text and in the Markdown
 * details, and — failed checks and breaking drift — at the top of the Markdown plan, above the
 * summary table, so a reviewer sees refused data first (renderReviewFirstChecks).
 */
import type { CheckResult, PipelinePlan, Plan, SchemaDrift } from '../plan/plan-model.js';
import { markdownCode as code, markdownText as text } from './markdown-parts.js';

/** One check in words: "unique(account_id) failed: 2 rows (account_id=a3; account_id=a3)". */
export function describeCheck(r: CheckResult): string {
  const rows =
    r.detail ??
    `${r.failingRows} row${r.failingRows === 1 ? '' : 's'}${r.sampleKeys.length ? ` (${r.sampleKeys.join('; ')}${r.failingRows > r.sampleKeys.length ? '; …' : ''})` : ''}`;
  const outcome =
    r.status === 'passed'
      ? 'passed'
      : r.onFail === 'reject_rows'
        ? `${r.rowsRejected ?? 0} rejected`
        : r.severity === 'warn'
          ? 'warning'
          : 'failed';
  return r.status === 'passed' && r.detail === undefined
    ? `${r.name} passed`
    : `${r.name} ${outcome}: ${rows}`;
}

/** The drift's changes in words, or [] when there are none. */
export function describeDrift(d: SchemaDrift): string[] {
  return [
    ...(d.newColumns.length ? [`new column(s): ${d.newColumns.join(', ')}`] : []),
    ...(d.missingColumns.length ? [`missing column(s): ${d.missingColumns.join(', ')}`] : []),
    ...d.typeChanges.map((t) => `${t.column}: type ${t.before} → ${t.after}`),
    ...(d.reordered ? ['columns reordered (headerless file: matched by position)'] : []),
    ...d.actions,
  ];
}

/** Text plan lines (indented like the rest of a pipeline's section). */
export function renderChecksText(p: PipelinePlan): string[] {
  const lines: string[] = [];
  const drift = p.schemaDrift ? describeDrift(p.schemaDrift) : [];
  if (p.schemaDrift && drift.length)
    lines.push(
      `  schema   ${p.schemaDrift.breaking ? 'BREAKING ' : ''}drift since the last successful run:`,
      ...drift.map((d) => `           ${d}`),
    );
  for (const r of p.checks ?? [])
    lines.push(`  check    ${r.status === 'passed' ? '✓' : '✗'} ${describeCheck(r)}`);
  return lines;
}

/** Markdown details lines: a table of the checks, the drift as a list. */
export function renderChecksMarkdown(p: PipelinePlan): string[] {
  const lines: string[] = [];
  const drift = p.schemaDrift ? describeDrift(p.schemaDrift) : [];
  if (p.schemaDrift && drift.length) {
    lines.push(
      `Schema drift since the last successful run${p.schemaDrift.breaking ? ' (**breaking**)' : ''}:`,
      '',
    );
    for (const d of drift) lines.push(`- ${text(d)}`);
    lines.push('');
  }
  if (p.checks?.length) {
    lines.push(
      '| check | severity | on fail | result | failing rows | first keys |',
      '|---|---|---|---|---:|---|',
    );
    for (const r of p.checks) {
      lines.push(
        `| ${code(r.name, { table: true })} | ${r.severity} | ${r.onFail} | ${r.status === 'passed' ? '✅ passed' : '❌ failed'} | ${r.failingRows} | ${text(r.detail ?? r.sampleKeys.join('; '))} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** Failed checks and breaking drift, as a CAUTION alert above the summary table. */
export function renderReviewFirstChecks(plan: Plan): string[] {
  const lines: string[] = [];
  for (const p of plan.pipelines) {
    if (p.schemaDrift?.breaking)
      lines.push(`> - ${code(p.pipeline)}: schema drift: ${text(describeDrift(p.schemaDrift).join('; '))}`);
    for (const r of p.checks ?? [])
      if (r.status === 'failed') lines.push(`> - ${code(p.pipeline)}: check ${text(describeCheck(r))}`);
  }
  return lines.length ? ['> [!CAUTION]', '> Data checks and schema drift:', ...lines, ''] : [];
}
