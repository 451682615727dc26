/**
 * The plan as a pull-request comment: the Terraform-style summary line first, one table row per
 * pipeline, destructive effects called out, details folded, and a size budget with an explicit
 * truncation notice (GitHub comments hold 65,536 characters).
 */
import type { Plan, PipelinePlan } from '../plan/plan-model.js';
import { appendWithinBudget, configChangeLines, MARKDOWN_BUDGET_CHARS } from './markdown-parts.js';
import { describePgpSteps } from './describe-pgp-steps.js';
import { formatBytes, renderSummaryLine, summarizePlan } from './plan-summary.js';

export { MARKDOWN_BUDGET_CHARS } from './markdown-parts.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderPlanMarkdown(
  plan: Plan,
  options: { budgetChars?: number; verb?: 'Plan' | 'Apply complete' } = {},
): string {
  const budget = options.budgetChars ?? MARKDOWN_BUDGET_CHARS;
  const summary = summarizePlan(plan);
  const head: string[] = [
    `### ferry ${options.verb === 'Apply complete' ? 'apply' : 'plan'}`,
    '',
    `**${renderSummaryLine(summary, options.verb ?? 'Plan')}**${summary.errors ? ` ⚠️ ${summary.errors} pipeline(s) failed.` : ''}`,
    '',
    '| pipeline | status | files to process | rows read | rejected | added | changed | removed | objects to write |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of plan.pipelines) {
    const n = p.counts;
    head.push(
      `| \`${cell(p.pipeline)}\` | ${p.status === 'error' ? '❌ failed' : p.status === 'changes' ? '🟡 changes' : '✅ up to date'} | ${p.selection.selected.length} | ${n.rowsRead} | ${n.rowsRejected} | ${n.rowsAdded} | ${n.rowsChanged} | ${n.rowsRemoved} | ${p.outputs.length} |`,
    );
  }
  const tombstones = plan.pipelines.filter(
    (p) => p.steps.some((s) => s.kind === 'diff' && s.tombstones !== null) && p.counts.rowsRemoved > 0,
  );
  const deletes = plan.pipelines.filter((p) => (p.dataset?.deleted ?? 0) > 0);
  if (tombstones.length || deletes.length) {
    head.push('', '> [!WARNING]', '> Destructive changes:');
    for (const p of tombstones) {
      head.push(
        `> - \`${p.pipeline}\`: ${p.counts.rowsRemoved} removed rows published as tombstones (downstream deletes)`,
      );
    }
    for (const p of deletes) {
      head.push(
        `> - \`${p.pipeline}\`: deletes ${p.dataset?.deleted ?? 0} rows from dataset \`${p.dataset?.dataset ?? ''}\` (mode: mirror)`,
      );
    }
  }
  if (summary.configChanged)
    head.push('', `Configuration: ${summary.configChanged} pipeline(s) changed since the last apply.`);
  const failed = plan.pipelines.filter((p) => p.error);
  if (failed.length) {
    head.push('', '> [!CAUTION]');
    for (const p of failed)
      head.push(`> \`${p.pipeline}\`: ${cell(p.error?.message ?? '')} (\`${p.error?.code ?? ''}\`)`);
  }
  head.push('');
  const fitted = appendWithinBudget(
    head.join('\n'),
    plan.pipelines.map((p) => ({ name: p.pipeline, text: renderDetails(p) })),
    { budget, reserve: 200 },
  );
  let { text } = fitted;
  const truncated = fitted.left;
  if (truncated.length) {
    text += `\n> **Truncated:** details of ${truncated.length} pipeline(s) (${truncated.map((n) => `\`${n}\``).join(', ')}) were left out to stay under ${budget} characters. Run \`ferry plan\` locally or see the JSON plan for everything.\n`;
  }
  return text;
}

function renderDetails(p: PipelinePlan): string {
  const lines: string[] = [
    '',
    `<details><summary><code>${p.pipeline}</code>${p.description ? ` — ${escapeHtml(p.description)}` : ''}</summary>`,
    '',
  ];
  if (p.error) {
    const where = p.error.location !== undefined ? ` at \`${p.error.location}\`` : '';
    lines.push(`**Error** \`${p.error.code}\`${where}: ${p.error.message}`, '');
    if (p.error.hint) lines.push(`Hint: ${p.error.hint}`, '');
  }
  const s = p.selection;
  lines.push(
    `Files: ${s.listed} listed, ${s.matched} matched, ${s.selected.length} to process, ${s.skipped.length} skipped.`,
    '',
  );
  if (s.selected.length) {
    lines.push('| file to process | size |', '|---|---:|');
    for (const f of s.selected.slice(0, 50))
      lines.push(
        `| \`${cell(f.key)}\`${s.changed.includes(f.key) ? ' (changed)' : ''} | ${formatBytes(f.size)} |`,
      );
    if (s.selected.length > 50) lines.push(`| … ${s.selected.length - 50} more | |`);
    lines.push('');
  }
  const pgp = describePgpSteps(p.steps);
  for (const line of pgp) lines.push(`- ${escapeHtml(line.replace(/\s+/, ' '))}`);
  if (pgp.length) lines.push('');
  if (p.dataset) {
    const d = p.dataset;
    lines.push(
      `| dataset | mode | created | updated | unchanged | skipped | unmatched | deleted | new version |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      `| \`${d.dataset}\` | ${d.mode} | ${d.created} | ${d.updated} | ${d.unchanged} | ${d.skipped} | ${d.unmatched} | ${d.deleted} | ${d.version} (${d.rows} rows) |`,
      '',
    );
  }
  if (p.outputs.length) {
    lines.push('| object to write | format | rows | size |', '|---|---|---:|---:|');
    for (const o of p.outputs)
      lines.push(
        `| \`s3://${cell(o.bucket)}/${cell(o.key)}\` | ${o.format} | ${o.rows} | ${formatBytes(o.bytes)} |`,
      );
    lines.push('');
  }
  if (p.firstApply) lines.push('Configuration: first apply of this pipeline.', '');
  if (p.configChanges.length) {
    lines.push(
      'Configuration changes since the last apply:',
      '',
      '```diff',
      ...configChangeLines(p.configChanges),
    );
    lines.push('```', '');
  }
  if (p.schedule)
    lines.push(`Schedule: ${p.schedule.description}; next runs ${p.schedule.next.join(', ')}.`, '');
  for (const w of p.warnings) lines.push(`- ⚠️ ${escapeHtml(w.message)} (\`${w.code}\`)`);
  if (p.warnings.length) lines.push('');
  if (p.rejects.length) {
    lines.push(
      `Rejected rows (${p.counts.rowsRejected}, first ${Math.min(10, p.rejects.length)} shown):`,
      '',
    );
    for (const r of p.rejects.slice(0, 10))
      lines.push(
        `- \`${cell(r.file)}\` ${r.line !== null ? `line ${r.line}` : r.row !== undefined ? `row ${r.row}` : ''}: ${escapeHtml(r.reason)}`,
      );
    lines.push('');
  }
  lines.push('</details>', '');
  return lines.join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
