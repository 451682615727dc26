/** Pieces the Markdown renderers share: configuration changes as diff lines, and the size budget. */
import type { ConfigChange } from '../plan/plan-model.js';

/** GitHub comments hold 65,536 characters; leave room for the surrounding text. */
export const MARKDOWN_BUDGET_CHARS = 60_000;

/** A change as `- path: before` / `+ path: after` lines (a ```diff block). */
export function configChangeLines(changes: readonly ConfigChange[]): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.change !== 'added') lines.push(`- ${c.path}: ${JSON.stringify(c.before)}`);
    if (c.change !== 'removed') lines.push(`+ ${c.path}: ${JSON.stringify(c.after)}`);
  }
  return lines;
}

/**
 * Appends sections to `text` while it stays `reserve` characters under `budget`; a section that
 * does not fit is left out and its name returned, for the caller's truncation notice.
 */
export function appendWithinBudget(
  text: string,
  sections: ReadonlyArray<{ name: string; text: string }>,
  options: { budget: number; reserve: number },
): { text: string; left: string[] } {
  let out = text;
  const left: string[] = [];
  for (const section of sections) {
    if (out.length + section.text.length + options.reserve > options.budget) left.push(section.name);
    else out += section.text;
  }
  return { text: out, left };
}
