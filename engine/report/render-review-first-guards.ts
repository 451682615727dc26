/**
 * What a reviewer must see before anything else (docs/guards.md): tripped destructive-change guards
 * and quarantined source files, for the top of the Markdown plan, above the summary table. Every
 * value from data or configuration goes through markdown-parts' escaping.
 */
import { describeGuard } from '../plan/evaluate-guards.js';
import type { Plan } from '../plan/plan-model.js';
import { markdownCode as code, markdownText as text } from './markdown-parts.js';

/** Lines (ending with a blank one), or none when no guard tripped and no file is quarantined. */
export function renderReviewFirstGuards(plan: Plan): string[] {
  const lines: string[] = [];
  for (const p of plan.pipelines) {
    for (const g of (p.guards ?? []).filter((r) => r.tripped)) {
      lines.push(
        `> - ${code(p.pipeline)}: guard ${text(describeGuard(g))}; ${
          g.allowed
            ? `**allowed** (${code(`--allow ${g.guard}`)})`
            : `apply refuses (exit 6) unless allowed: ${code(`--allow ${g.guard}`)}`
        }`,
      );
    }
  }
  const quarantined = plan.pipelines.flatMap((p) => (p.quarantined ?? []).map((q) => ({ p: p.pipeline, q })));
  for (const { p, q } of quarantined) {
    lines.push(
      `> - ${code(p)}: quarantined ${code(q.key)} since ${text(q.at)} (${code(q.code)}): ${text(q.message)} Release: ${code(`ferry state release ${p} ${q.key}`)}`,
    );
  }
  if (!lines.length) return [];
  return ['> [!CAUTION]', '> **Review first:** guards tripped or files quarantined.', '>', ...lines, ''];
}

/** The same for a terminal: one line per tripped guard and quarantined file. */
export function describeReviewFirst(p: Plan['pipelines'][number]): string[] {
  return [
    ...(p.guards ?? [])
      .filter((g) => g.tripped)
      .map(
        (g) =>
          `guard ${describeGuard(g)}: ${g.allowed ? `allowed (--allow ${g.guard})` : `apply refuses (exit 6) unless --allow ${g.guard}`}`,
      ),
    ...(p.quarantined ?? []).map(
      (q) =>
        `quarantined ${q.key} since ${q.at} [${q.code}]: ${q.message} (ferry state release ${p.pipeline} ${q.key})`,
    ),
  ];
}
