/**
 * Pieces the Markdown renderers share: escaping for every value that comes from data or
 * configuration (object keys, file names, messages), configuration changes as a diff block, and
 * the size budget. A hostile S3 key such as ``a`|<img src=x onerror=alert(1)>\n# h.csv`` must show
 * as itself: it may not close a code span, split a table row, open HTML, or start a heading.
 */
import type { ConfigChange } from '../plan/plan-model.js';

/** GitHub comments hold 65,536 characters; leave room for the surrounding text. */
export const MARKDOWN_BUDGET_CHARS = 60_000;

/** Line breaks in a value are shown, not obeyed: a value stays on its line. */
const LINE_BREAK = /\r\n|\r|\n|\u2028|\u2029/g;
const SHOWN_LINE_BREAK = '␤';

/**
 * A value shown verbatim as a code span (nothing inside a code span is Markdown or HTML). The
 * fence is one backtick longer than the longest run inside. In a table, `|` is escaped as `\|`,
 * which GitHub reads as a pipe inside the cell; outside a table it needs no escape.
 */
export function markdownCode(value: string, options: { table?: boolean } = {}): string {
  let text = value.replace(LINE_BREAK, SHOWN_LINE_BREAK);
  if (options.table) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[`\s]|[`\s]$/.test(text) || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Text from data or configuration (a message, a reason, a description) as Markdown prose on one
 * line: HTML characters as entities; brackets, emphasis, backtick, tilde and pipe backslash-escaped
 * (no links or images, emphasis, code spans or table breaks); `@` kept from mentioning anyone. On
 * one line after other text, `#`, `-` and digits cannot start a heading or a list.
 */
export function markdownText(value: string): string {
  return value
    .replace(LINE_BREAK, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/@/g, '@\u200b');
}

/** Text inside raw HTML (`<summary>…</summary>`), where Markdown is not read: entities, one line. */
export function htmlText(value: string): string {
  return value
    .replace(LINE_BREAK, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/@/g, '@\u200b');
}

/** A change as `- path: before` / `+ path: after` lines (a ```diff block). */
export function configChangeLines(changes: readonly ConfigChange[]): string[] {
  const lines: string[] = [];
  // Paths are made of configuration keys, which may hold any character: keep each on its line.
  const path = (c: ConfigChange) => c.path.replace(LINE_BREAK, SHOWN_LINE_BREAK);
  for (const c of changes) {
    if (c.change !== 'added') lines.push(`- ${path(c)}: ${JSON.stringify(c.before)}`);
    if (c.change !== 'removed') lines.push(`+ ${path(c)}: ${JSON.stringify(c.after)}`);
  }
  return lines;
}

/** A fenced code block whose fence no line inside can close (longer than any backtick run). */
export function fencedBlock(language: string, lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.flatMap((l) => l.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, ...lines, fence];
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
