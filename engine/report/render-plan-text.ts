/** The plan (or apply report) for a terminal: one block per pipeline, then the summary line. */
import type { Plan, PipelinePlan } from '../plan/plan-model.js';
import { describePgpSteps } from './describe-pgp-steps.js';
import { formatBytes, renderSummaryLine, summarizePlan } from './plan-summary.js';

export interface RenderTextOptions {
  color?: boolean;
  showSql?: boolean;
  verb: 'Plan' | 'Apply complete';
  /** Rejected rows listed per pipeline (all are counted). */
  maxRejects?: number;
}

export function renderPlanText(plan: Plan, options: RenderTextOptions): string {
  const c = palette(options.color === true);
  const out: string[] = [];
  for (const p of plan.pipelines) out.push(...renderPipeline(p, options, c), '');
  const summary = summarizePlan(plan);
  if (plan.pipelines.length === 0) out.push('No pipelines to run.', '');
  out.push(c.bold(renderSummaryLine(summary, options.verb)));
  if (summary.configChanged) {
    out.push(
      `Configuration: ${summary.configChanged} pipeline${summary.configChanged === 1 ? '' : 's'} changed since the last apply.`,
    );
  }
  if (summary.errors)
    out.push(c.red(`${summary.errors} pipeline${summary.errors === 1 ? '' : 's'} failed; see above.`));
  return out.join('\n') + '\n';
}

type Palette = Record<'bold' | 'red' | 'green' | 'yellow' | 'dim' | 'cyan', (s: string) => string>;

function palette(color: boolean): Palette {
  const wrap = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2), cyan: wrap(36) };
}

function renderPipeline(p: PipelinePlan, options: RenderTextOptions, c: Palette): string[] {
  const lines: string[] = [];
  const status =
    p.status === 'error'
      ? c.red('failed')
      : p.status === 'changes'
        ? c.yellow('changes')
        : c.green('up to date');
  lines.push(
    `${c.bold(`pipeline ${p.pipeline}`)}  ${status}${p.description ? c.dim(`  — ${p.description}`) : ''}`,
  );
  if (p.error) {
    const where = p.error.location !== undefined ? `${p.error.location}: ` : '';
    lines.push(`  ${c.red('error')} ${where}${p.error.message} ${c.dim(`[${p.error.code}]`)}`);
    if (p.error.hint) lines.push(`  ${c.cyan('hint:')} ${p.error.hint}`);
    return lines;
  }
  const s = p.selection;
  const readDataset = p.steps.find((step) => step.kind === 'read-dataset');
  if (readDataset?.kind === 'read-dataset') {
    lines.push(
      `  source   dataset${readDataset.datasets.length === 1 ? '' : 's'} ${readDataset.datasets.join(', ')}`,
    );
  } else {
    lines.push(
      `  files    ${s.listed} listed, ${s.matched} matched, ${s.selected.length} to process, ${s.skipped.length} skipped`,
    );
  }
  for (const file of s.selected) {
    const changed = s.changed.includes(file.key) ? c.yellow(' (changed since last processed)') : '';
    lines.push(`    ${c.green('+')} ${file.key}  ${c.dim(formatBytes(file.size))}${changed}`);
  }
  const shownSkips = s.skipped.filter((k) => k.reason !== 'already-processed');
  const processed = s.skipped.length - shownSkips.length;
  for (const skip of shownSkips.slice(0, 20))
    lines.push(`    ${c.dim('·')} ${skip.key}  ${c.dim(`${skip.reason}: ${skip.detail}`)}`);
  if (shownSkips.length > 20) lines.push(`    ${c.dim(`… ${shownSkips.length - 20} more skipped`)}`);
  if (processed) lines.push(`    ${c.dim(`· ${processed} already processed`)}`);
  for (const line of describePgpSteps(p.steps)) lines.push(`  ${line}`);
  const n = p.counts;
  if (p.steps.length) {
    const diff = p.steps.some((st) => st.kind === 'diff');
    lines.push(
      `  rows     ${n.rowsRead} read, ${n.rowsRejected} rejected` +
        (diff
          ? `, ${n.rowsAdded} added, ${n.rowsChanged} changed, ${n.rowsRemoved} removed, ${n.rowsUnchanged} unchanged`
          : '') +
        `, ${n.rowsWritten} to write`,
    );
  }
  if (p.dataset) {
    const d = p.dataset;
    const deleted = d.deleted ? c.red(`${d.deleted} deleted`) : '0 deleted';
    lines.push(
      `  ${c.green('dataset')}  ${d.dataset} (${d.mode}): ${d.created} created, ${d.updated} updated, ${d.unchanged} unchanged, ${d.skipped} skipped, ${d.unmatched} unmatched, ${deleted} → version ${d.version} (${d.rows} rows)`,
    );
    for (const r of d.missingRelations)
      lines.push(
        `  ${c.yellow('relation')} ${r.rows} row${r.rows === 1 ? '' : 's'}: ${r.column} → ${r.dataset} not found`,
      );
  }
  for (const output of p.outputs) {
    lines.push(
      `  ${c.green('write')}    s3://${output.bucket}/${output.key}  ${c.dim(`${output.format}, ${output.rows} rows, ${formatBytes(output.bytes)}`)}`,
    );
  }
  if (p.steps.length && p.outputs.length === 0 && n.rowsWritten === 0)
    lines.push(`  write    ${c.dim('nothing: no rows to publish')}`);
  if (p.firstApply) lines.push(`  config   ${c.dim('first apply of this pipeline')}`);
  for (const change of p.configChanges.slice(0, 30)) {
    const sign =
      change.change === 'added' ? c.green('+') : change.change === 'removed' ? c.red('-') : c.yellow('~');
    const detail =
      change.change === 'changed'
        ? `${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}`
        : JSON.stringify(change.change === 'added' ? change.after : change.before);
    lines.push(`  config   ${sign} ${change.path}: ${detail}`);
  }
  if (p.schedule)
    lines.push(`  schedule ${p.schedule.description}; next ${p.schedule.next.slice(0, 3).join(', ')}`);
  for (const warning of p.warnings)
    lines.push(`  ${c.yellow('warning')}  ${warning.message} ${c.dim(`[${warning.code}]`)}`);
  const maxRejects = options.maxRejects ?? 10;
  if (p.rejects.length) {
    lines.push(
      `  rejects  ${n.rowsRejected} row${n.rowsRejected === 1 ? '' : 's'} rejected${n.rowsRejected > maxRejects ? ` (first ${maxRejects})` : ''}` +
        `${p.rejectedRowsFile !== undefined ? `, all kept in ${p.rejectedRowsFile}` : ''}:`,
    );
    for (const reject of p.rejects.slice(0, maxRejects)) {
      const where =
        reject.line !== null ? `line ${reject.line}` : reject.row !== undefined ? `row ${reject.row}` : '';
      lines.push(`    ${reject.file}${where ? ` ${where}` : ''}: ${reject.reason}`);
    }
  }
  if (options.showSql && p.sql.length) {
    lines.push('  sql:');
    for (const statement of p.sql) lines.push(`    -- ${statement.step}`, `    ${statement.sql};`);
  }
  return lines;
}
