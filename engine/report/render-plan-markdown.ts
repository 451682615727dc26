/**
 * The plan as a pull-request comment: the Terraform-style summary line first, one table row per
 * pipeline, destructive effects called out, details folded, and a size budget with an explicit
 * truncation notice (GitHub comments hold 65,536 characters). Every value from data or
 * configuration goes through markdown-parts' escaping: a hostile object key shows as itself.
 */
import type { Plan, PipelinePlan } from '../plan/plan-model.js';
import { renderChecksMarkdown, renderReviewFirstChecks } from './render-checks.js';
import {
  appendWithinBudget,
  configChangeLines,
  fencedBlock,
  htmlText,
  markdownCode as code,
  markdownText as text,
  MARKDOWN_BUDGET_CHARS,
} from './markdown-parts.js';
import { describePgpSteps } from './describe-pgp-steps.js';
import { renderGraphChangeMarkdown, type GraphComparison } from './render-graph-mermaid.js';
import { formatBytes, renderSummaryLine, summarizePlan } from './plan-summary.js';
import { formatNextRuns } from '../plan/next-runs.js';
import { renderReviewFirstGuards } from './render-review-first-guards.js';
import { foldWarnings, foldedWarningsLine } from './fold-warnings.js';

export { MARKDOWN_BUDGET_CHARS } from './markdown-parts.js';

const STATUS: Record<PipelinePlan['status'], string> = {
  error: '❌ failed',
  changes: '🟡 changes',
  'no-changes': '✅ up to date',
  disabled: '⏸️ disabled',
};

/** Files listed per pipeline before "… and N more" (the JSON plan has them all). */
const FILES_SHOWN = 10;

/** In a table cell. */
const cellCode = (value: string) => code(value, { table: true });

export function renderPlanMarkdown(
  plan: Plan,
  options: {
    budgetChars?: number;
    verb?: 'Plan' | 'Apply complete';
    /** The graph at the base configuration and now: shown when it changed. */
    graph?: GraphComparison;
  } = {},
): string {
  const budget = options.budgetChars ?? MARKDOWN_BUDGET_CHARS;
  const summary = summarizePlan(plan);
  const head: string[] = [
    `### ferry ${options.verb === 'Apply complete' ? 'apply' : 'plan'}`,
    '',
    `**${renderSummaryLine(summary, options.verb ?? 'Plan')}**${summary.errors ? ` ⚠️ ${summary.errors} pipeline(s) failed.` : ''}`,
    '',
    ...renderReviewFirstChecks(plan),
    ...renderReviewFirstGuards(plan),
    '| pipeline | status | files to process | rows read | rejected | added | changed | removed | objects to write |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of plan.pipelines) {
    const n = p.counts;
    head.push(
      `| ${cellCode(p.pipeline)} | ${STATUS[p.status]} | ${p.selection.selected.length} | ${n.rowsRead} | ${n.rowsRejected} | ${n.rowsAdded} | ${n.rowsChanged} | ${n.rowsRemoved} | ${p.outputs.length} |`,
    );
  }
  head.push(...renderCallouts(plan));
  if (summary.configChanged)
    head.push('', `Configuration: ${summary.configChanged} pipeline(s) changed since the last apply.`);
  head.push(...renderGraphChangeMarkdown(options.graph));
  head.push('');
  const fitted = appendWithinBudget(
    head.join('\n'),
    plan.pipelines.map((p) => ({ name: p.pipeline, text: renderDetails(p) })),
    { budget, reserve: 200 },
  );
  let out = fitted.text;
  const truncated = fitted.left;
  if (truncated.length) {
    out += `\n> **Truncated:** details of ${truncated.length} pipeline(s) (${truncated.map((n) => code(n)).join(', ')}) were left out to stay under ${budget} characters. Run \`ferry plan\` locally or see the JSON plan for everything.\n`;
  }
  return out;
}

/** Destructive effects and failures, as GitHub alerts under the table. */
function renderCallouts(plan: Plan): string[] {
  const lines: string[] = [];
  const tombstones = plan.pipelines.filter(
    (p) => p.steps.some((s) => s.kind === 'diff' && s.tombstones !== null) && p.counts.rowsRemoved > 0,
  );
  const deletes = plan.pipelines.filter((p) => (p.dataset?.deleted ?? 0) > 0);
  const orphans = plan.pipelines.filter((p) => (p.orphansDeleted ?? p.orphans ?? []).length > 0);
  if (tombstones.length || deletes.length || orphans.length) {
    lines.push('', '> [!WARNING]', '> Destructive changes:');
    for (const p of tombstones) {
      lines.push(
        `> - ${code(p.pipeline)}: ${p.counts.rowsRemoved} removed rows published as tombstones (downstream deletes)`,
      );
    }
    for (const p of deletes) {
      lines.push(
        `> - ${code(p.pipeline)}: deletes ${p.dataset?.deleted ?? 0} rows from dataset ${code(p.dataset?.dataset ?? '')} (mode: mirror)`,
      );
    }
    for (const p of orphans) {
      const n = (p.orphansDeleted ?? p.orphans ?? []).length;
      lines.push(
        `> - ${code(p.pipeline)}: deletes ${n} object${n === 1 ? '' : 's'} left by a run that never committed`,
      );
    }
  }
  const failed = plan.pipelines.filter((p) => p.error);
  if (failed.length) {
    lines.push('', '> [!CAUTION]');
    for (const p of failed)
      lines.push(`> ${code(p.pipeline)}: ${text(p.error?.message ?? '')} (${code(p.error?.code ?? '')})`);
  }
  return lines;
}

function renderDetails(p: PipelinePlan): string {
  const lines: string[] = [
    '',
    `<details><summary><code>${htmlText(p.pipeline)}</code>${p.description ? ` — ${htmlText(p.description)}` : ''}</summary>`,
    '',
  ];
  if (p.error) {
    const where = p.error.location !== undefined ? ` at ${code(p.error.location)}` : '';
    lines.push(`**Error** ${code(p.error.code)}${where}: ${text(p.error.message)}`, '');
    if (p.error.hint) lines.push(`Hint: ${text(p.error.hint)}`, '');
  }
  const found = !p.error || p.selection.listed > 0 || p.counts.rowsRead > 0;
  if (p.status !== 'disabled' && found) lines.push(...renderFound(p));
  lines.push(...renderChecksMarkdown(p));
  const { shown, folded } = foldWarnings(p.warnings);
  for (const w of shown) lines.push(`- ⚠️ ${text(w.message)} (${code(w.code)})`);
  for (const fold of folded) lines.push(`- ⚠️ ${text(foldedWarningsLine(fold))}`);
  if (p.warnings.length) lines.push('');
  if (p.rejects.length || p.rejectedRowsFile !== undefined) {
    lines.push(
      `Rejected rows (${p.counts.rowsRejected}${p.rejects.length ? `, first ${Math.min(10, p.rejects.length)} shown` : ''})${p.rejectedRowsFile !== undefined ? `, all kept in ${code(p.rejectedRowsFile)}` : ''}:`,
      '',
    );
    for (const r of p.rejects.slice(0, 10))
      lines.push(
        `- ${code(r.file)} ${r.line !== null ? `line ${r.line}` : r.row !== undefined ? `row ${r.row}` : ''}: ${text(r.reason)}`,
      );
    lines.push('');
  }
  lines.push('</details>', '');
  return lines.join('\n');
}

/** What the pipeline found and would do (also for a failed one: what it found before failing). */
function renderFound(p: PipelinePlan): string[] {
  const lines: string[] = [];
  const s = p.selection;
  lines.push(
    `Files: ${s.listed} listed, ${s.matched} matched, ${s.selected.length} to process, ${s.skipped.length} skipped.`,
    '',
  );
  if (s.selected.length) {
    lines.push('| file to process | size |', '|---|---:|');
    for (const f of s.selected.slice(0, FILES_SHOWN))
      lines.push(
        `| ${cellCode(f.key)}${s.changed.includes(f.key) ? ' (changed)' : ''} | ${formatBytes(f.size)} |`,
      );
    if (s.selected.length > FILES_SHOWN) lines.push(`| … and ${s.selected.length - FILES_SHOWN} more | |`);
    lines.push('');
  }
  const pgp = describePgpSteps(p.steps);
  for (const line of pgp) lines.push(`- ${text(line.replace(/\s+/, ' '))}`);
  if (pgp.length) lines.push('');
  if (p.dataset) {
    const d = p.dataset;
    lines.push(
      `| dataset | mode | created | updated | unchanged | skipped | unmatched | deleted | new version |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      `| ${cellCode(d.dataset)} | ${d.mode} | ${d.created} | ${d.updated} | ${d.unchanged} | ${d.skipped} | ${d.unmatched} | ${d.deleted} | ${d.version} (${d.rows} rows) |`,
      '',
    );
  }
  if (p.outputs.length) {
    lines.push('| object to write | format | rows | size |', '|---|---|---:|---:|');
    for (const o of p.outputs)
      lines.push(
        `| ${cellCode(`s3://${o.bucket}/${o.key}`)} | ${text(o.format)} | ${o.rows} | ${formatBytes(o.bytes)} |`,
      );
    lines.push('');
  }
  const orphans = p.orphansDeleted ?? (p.error ? [] : (p.orphans ?? []));
  if (orphans.length || p.orphansKept?.length) {
    lines.push('| object to delete (left by a run that never committed) | run | |', '|---|---|---|');
    for (const o of orphans)
      lines.push(`| ${cellCode(`s3://${o.bucket}/${o.key}`)} | ${cellCode(o.runId)} | |`);
    for (const o of p.orphansKept ?? [])
      lines.push(
        `| ${cellCode(`s3://${o.bucket}/${o.key}`)} | ${cellCode(o.runId)} | kept: ${cellCode(o.reason)} |`,
      );
    lines.push('');
  }
  if (p.error) return lines;
  if (p.firstApply) lines.push('Configuration: first apply of this pipeline.', '');
  if (p.configChanges.length) {
    lines.push(
      'Configuration changes since the last apply:',
      '',
      ...fencedBlock('diff', configChangeLines(p.configChanges)),
      '',
    );
  }
  if (p.schedule)
    lines.push(
      `Schedule: ${text(p.schedule.description)}; next runs ${formatNextRuns(p.schedule).join(', ')}.`,
      '',
    );
  return lines;
}
