/**
 * `ferry plan --offline` output: the configuration a change would apply, as text, Markdown (a
 * pull-request comment) or versioned JSON. No row counts or object keys: nothing was read.
 */
import { renderGraphChangeMarkdown, type GraphComparison } from './render-graph-mermaid.js';
import { FERRY_VERSION } from '../ferry-version.js';
import type { ConfigChange } from '../plan/plan-model.js';
import type { ConfigReview } from '../plan/review-config.js';
import {
  appendWithinBudget,
  configChangeLines,
  fencedBlock,
  htmlText,
  markdownCode,
  MARKDOWN_BUDGET_CHARS,
} from './markdown-parts.js';

function against(review: ConfigReview): string {
  return review.base.kind === 'git' ? `git ref ${review.base.ref}` : 'the last apply (state)';
}

export function summarizeReview(review: ConfigReview): { add: number; change: number; remove: number } {
  const count = (kind: string) => review.pipelines.filter((p) => p.change === kind).length;
  return { add: count('added'), change: count('changed'), remove: count('removed') };
}

function summaryLine(review: ConfigReview): string {
  const s = summarizeReview(review);
  const project = review.project.length
    ? `; ferry.yaml: ${review.project.length} change${review.project.length === 1 ? '' : 's'}`
    : '';
  return `Configuration: ${s.add} pipeline${s.add === 1 ? '' : 's'} to add, ${s.change} to change, ${s.remove} to remove${project}.`;
}

/** A change to what `${env:…}`/`${file:…}` may read deserves a reviewer's attention (docs/security.md). */
function changesReferencePolicy(review: ConfigReview): boolean {
  return review.project.some((c) => c.path === 'references' || c.path.startsWith('references.'));
}

const REFERENCES_NOTE =
  'This change alters `references` in ferry.yaml: which environment variables and files the configuration may read. Check that none of them holds a secret.';

const WORD = { added: 'added', removed: 'removed', changed: 'changed', unchanged: 'unchanged' } as const;

export function renderConfigReviewText(review: ConfigReview): string {
  const out = [
    `Offline plan against ${against(review)}: configuration only, no source or state was read from S3.`,
    '',
  ];
  if (review.project.length) {
    out.push('ferry.yaml');
    out.push(...configChangeLines(review.project).map((l) => `  ${l}`), '');
  }
  for (const p of review.pipelines) {
    if (p.change === 'unchanged') continue;
    const note = p.change === 'added' && review.base.kind === 'state' ? ' (never applied)' : '';
    out.push(`pipeline ${p.pipeline}  ${WORD[p.change]}${note}`);
    out.push(...configChangeLines(p.changes).map((l) => `  ${l}`));
    out.push('');
  }
  if (changesReferencePolicy(review)) out.push(`Note: ${REFERENCES_NOTE}`, '');
  const unchanged = review.pipelines.filter((p) => p.change === 'unchanged').length;
  if (unchanged) out.push(`${unchanged} pipeline${unchanged === 1 ? '' : 's'} unchanged.`);
  out.push(summaryLine(review));
  return out.join('\n') + '\n';
}

/** GitHub comments hold 65,536 characters; details past the budget are named, not shown. */
export function renderConfigReviewMarkdown(
  review: ConfigReview,
  budget = MARKDOWN_BUDGET_CHARS,
  /** The graph at the base and now: shown when it changed. */
  graph?: GraphComparison,
): string {
  const out = [
    `### ferry plan (offline, against ${against(review)})`,
    '',
    `**${summaryLine(review)}**`,
    '',
    'Configuration only: sources, row counts and object keys need `ferry plan` with credentials.',
    '',
  ];
  const changed = review.pipelines.filter((p) => p.change !== 'unchanged');
  if (changed.length) {
    out.push('| pipeline | change | settings changed |', '|---|---|---:|');
    for (const p of changed)
      out.push(`| ${markdownCode(p.pipeline, { table: true })} | ${WORD[p.change]} | ${p.changes.length} |`);
    out.push('');
  }
  const graphLines = renderGraphChangeMarkdown(graph);
  if (graphLines.length) out.push(...graphLines.slice(1), '');
  if (changesReferencePolicy(review)) out.push('> [!CAUTION]', `> ${REFERENCES_NOTE}`, '');
  if (review.pipelines.some((p) => p.change === 'removed')) {
    out.push('> [!WARNING]', '> Removed pipelines stop running; their state and datasets are kept.', '');
  }
  const details: Array<[string, readonly ConfigChange[]]> = [
    ...(review.project.length ? [['ferry.yaml', review.project] as [string, readonly ConfigChange[]]] : []),
    ...changed
      .filter((p) => p.changes.length)
      .map((p): [string, readonly ConfigChange[]] => [`pipeline ${p.pipeline}`, p.changes]),
  ];
  const { text: fitted, left } = appendWithinBudget(
    out.join('\n'),
    details.map(([title, changes]) => ({
      name: title,
      text:
        [
          `<details><summary><code>${htmlText(title)}</code></summary>`,
          '',
          ...fencedBlock('diff', configChangeLines(changes)),
          '',
          '</details>',
          '',
        ].join('\n') + '\n',
    })),
    { budget, reserve: 300 },
  );
  let text = fitted;
  if (left.length) {
    text += `\n> **Truncated:** the changes of ${left.length} item(s) (${left.map((t) => markdownCode(t)).join(', ')}) were left out to stay under ${budget} characters. Run \`ferry plan --offline\` locally or use \`--format json\` for everything.\n`;
  }
  return text;
}

export function renderConfigReviewJson(review: ConfigReview): string {
  const { formatVersion, ...rest } = review;
  return (
    JSON.stringify(
      {
        format_version: formatVersion,
        ferry_version: FERRY_VERSION,
        summary: summarizeReview(review),
        ...rest,
      },
      null,
      2,
    ) + '\n'
  );
}
