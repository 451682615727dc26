/** The plan (or apply report) for a terminal: one block per pipeline, then the summary line. */
import { renderChecksText } from './render-checks.js';
import type { Plan, PipelinePlan } from '../plan/plan-model.js';
import { describePgpSteps } from './describe-pgp-steps.js';
import { formatBytes, renderSummaryLine, summarizePlan } from './plan-summary.js';
import { formatNextRuns } from '../plan/next-runs.js';
import { describeReviewFirst } from './render-review-first-guards.js';
import { foldWarnings, foldedWarningsLine } from './fold-warnings.js';

export interface RenderTextOptions {
  color?: boolean;
  showSql?: boolean;
  verb: 'Plan' | 'Apply complete';
  /** Rejected rows listed per pipeline (all are counted). */
  maxRejects?: number;
  /** Every file, not the first FILES_SHOWN. */
  verbose?: boolean;
}

export function renderPlanText(input: Plan, options: RenderTextOptions): string {
  const plan = visibleStrings(input);
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
  if (summary.disabled)
    out.push(
      c.dim(
        `${summary.disabled} pipeline${summary.disabled === 1 ? ' is' : 's are'} disabled (enabled: false).`,
      ),
    );
  if (summary.errors)
    out.push(c.red(`${summary.errors} pipeline${summary.errors === 1 ? '' : 's'} failed; see above.`));
  return out.join('\n') + '\n';
}

/**
 * Every string of the plan with its control characters shown, not obeyed: an object key or a
 * message from data cannot break a line or send terminal escapes (`\x1b[2J`). SQL keeps its
 * line breaks (it is ferry's own, printed with --show-sql).
 */
function visibleStrings<T>(value: T, multiline = false): T {
  if (typeof value === 'string') {
    // Matching control characters is the point here.
    const controls = multiline
      ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g // eslint-disable-line no-control-regex
      : /[\u0000-\u001f\u007f-\u009f]/g; // eslint-disable-line no-control-regex
    return value.replace(controls, (ch) =>
      ch === '\n' ? '␤' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
    ) as T;
  }
  if (Array.isArray(value)) return (value as unknown[]).map((item) => visibleStrings(item, multiline)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = visibleStrings(item, multiline || key === 'sql');
  return out as T;
}

type Palette = Record<'bold' | 'red' | 'green' | 'yellow' | 'dim' | 'cyan', (s: string) => string>;

function palette(color: boolean): Palette {
  const wrap = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2), cyan: wrap(36) };
}

/** Files listed per pipeline before "… and N more" (all of them with --verbose, and in JSON). */
export const FILES_SHOWN = 10;

function renderPipeline(p: PipelinePlan, options: RenderTextOptions, c: Palette): string[] {
  const lines: string[] = [];
  const status =
    p.status === 'error'
      ? c.red('failed')
      : p.status === 'changes'
        ? c.yellow('changes')
        : p.status === 'disabled'
          ? c.dim('disabled')
          : c.green('up to date');
  lines.push(
    `${c.bold(`pipeline ${p.pipeline}`)}  ${status}${p.description ? c.dim(`  — ${p.description}`) : ''}`,
  );
  if (p.status === 'disabled') return [...lines, ...renderWarnings(p, c)];
  for (const line of describeReviewFirst(p)) lines.push(`  ${c.red('review')}   ${line}`);
  if (p.error) {
    const where = p.error.location !== undefined ? `${p.error.location}: ` : '';
    lines.push(`  ${c.red('error')} ${where}${p.error.message} ${c.dim(`[${p.error.code}]`)}`);
    if (p.error.hint) lines.push(`  ${c.cyan('hint:')} ${p.error.hint}`);
  }
  // A failed run reports what it found before it failed: files, counts, warnings, rejected rows.
  const found = !p.error || p.selection.listed > 0 || p.counts.rowsRead > 0;
  if (found) lines.push(...renderFiles(p, options, c), ...renderEffects(p, c));
  if (!p.error) lines.push(...renderConfig(p, c));
  lines.push(...renderChecksText(p));
  lines.push(...renderWarnings(p, c), ...renderRejects(p, options));
  if (options.showSql && p.sql.length) {
    lines.push('  sql:');
    for (const statement of p.sql) lines.push(`    -- ${statement.step}`, `    ${statement.sql};`);
  }
  return lines;
}

function renderFiles(p: PipelinePlan, options: RenderTextOptions, c: Palette): string[] {
  const lines: string[] = [];
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
  const limit = options.verbose ? Infinity : FILES_SHOWN;
  for (const file of s.selected.slice(0, limit)) {
    const changed = s.changed.includes(file.key) ? c.yellow(' (changed since last processed)') : '';
    lines.push(`    ${c.green('+')} ${file.key}  ${c.dim(formatBytes(file.size))}${changed}`);
  }
  if (s.selected.length > limit)
    lines.push(`    ${c.dim(`… and ${s.selected.length - limit} more to process`)}`);
  const shownSkips = s.skipped.filter((k) => k.reason !== 'already-processed');
  const processed = s.skipped.length - shownSkips.length;
  for (const skip of shownSkips.slice(0, limit))
    lines.push(`    ${c.dim('·')} ${skip.key}  ${c.dim(`${skip.reason}: ${skip.detail}`)}`);
  if (shownSkips.length > limit)
    lines.push(`    ${c.dim(`… and ${shownSkips.length - limit} more skipped`)}`);
  if (processed) lines.push(`    ${c.dim(`· ${processed} already processed`)}`);
  for (const line of describePgpSteps(p.steps)) lines.push(`  ${line}`);
  return lines;
}

function renderEffects(p: PipelinePlan, c: Palette): string[] {
  const lines: string[] = [];
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
        `  ${c.yellow('relation')} ${r.rows} row${r.rows === 1 ? '' : 's'}: ${r.column} → ${r.dataset} not found${r.keys?.length ? ` (${r.keys.join(', ')}${r.keys.length < r.rows ? ', …' : ''})` : ''}`,
      );
  }
  for (const output of p.outputs) {
    lines.push(
      `  ${c.green('write')}    s3://${output.bucket}/${output.key}  ${c.dim(`${output.format}, ${output.rows} rows, ${formatBytes(output.bytes)}`)}`,
    );
  }
  if (!p.error && p.steps.length && p.outputs.length === 0 && n.rowsWritten === 0)
    lines.push(`  write    ${c.dim('nothing: no rows to publish')}`);
  const deleted = p.orphansDeleted ?? (p.error ? [] : (p.orphans ?? []));
  for (const o of deleted) {
    lines.push(
      `  ${c.red('delete')}   s3://${o.bucket}/${o.key}  ${c.dim(`left by run ${o.runId}, which never committed`)}`,
    );
  }
  for (const o of p.orphansKept ?? []) {
    lines.push(
      `  ${c.yellow('kept')}     s3://${o.bucket}/${o.key}  ${c.dim(`could not delete: ${o.reason}`)}`,
    );
  }
  return lines;
}

function renderConfig(p: PipelinePlan, c: Palette): string[] {
  const lines: string[] = [];
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
    lines.push(
      `  schedule ${p.schedule.description}; next ${formatNextRuns(p.schedule).slice(0, 3).join(', ')}`,
    );
  return lines;
}

function renderWarnings(p: PipelinePlan, c: Palette): string[] {
  const { shown, folded } = foldWarnings(p.warnings);
  return [
    ...shown.map((warning) => `  ${c.yellow('warning')}  ${warning.message} ${c.dim(`[${warning.code}]`)}`),
    ...folded.map((fold) => `  ${c.yellow('warning')}  ${c.dim(foldedWarningsLine(fold))}`),
  ];
}

function renderRejects(p: PipelinePlan, options: RenderTextOptions): string[] {
  const lines: string[] = [];
  const n = p.counts;
  const maxRejects = options.maxRejects ?? 10;
  if (p.rejects.length || p.rejectedRowsFile !== undefined) {
    lines.push(
      `  rejects  ${n.rowsRejected} row${n.rowsRejected === 1 ? '' : 's'} rejected${n.rowsRejected > maxRejects ? ` (first ${maxRejects})` : ''}` +
        `${p.rejectedRowsFile !== undefined ? `, all kept in ${p.rejectedRowsFile}` : ''}${p.rejects.length ? ':' : ''}`,
    );
    for (const reject of p.rejects.slice(0, maxRejects)) {
      const where =
        reject.line !== null ? `line ${reject.line}` : reject.row !== undefined ? `row ${reject.row}` : '';
      lines.push(`    ${reject.file}${where ? ` ${where}` : ''}: ${reject.reason}`);
    }
  }
  return lines;
}
