/**
 * Handlebars' parse errors read "Parse error on line 1:", then a 20-character window with a caret,
 * then its grammar's token names ("Expecting 'ID', … got 'INVALID'"). A sink.filename is one line
 * that a person typed: say which placeholder is wrong, where, and how, in the template's own words.
 */

/** One sentence (no trailing period) on why `template` does not parse; `error` is what parse threw. */
export function explainTemplateError(template: string, error: unknown): string {
  for (let open = template.indexOf('{{'); open !== -1; open = template.indexOf('{{', open + 2)) {
    const next = template.indexOf('{{', open + 2);
    const close = template.indexOf('}}', open + 2);
    const at = `at character ${open + 1}`;
    if (close === -1 || (next !== -1 && next < close)) {
      const placeholder = template.slice(open, next === -1 ? undefined : next);
      return `the placeholder ${JSON.stringify(placeholder)} ${at} is not closed with "}}"`;
    }
    const inside = template.slice(open + 2, close).replace(/^\{+/, '');
    if (inside.trim() === '') return `the placeholder ${at} is empty`;
  }
  // Block helpers ({{#if}} without {{/if}}) and the like: Handlebars' own last line.
  const message = error instanceof Error ? error.message : String(error);
  const detail = message.split('\n').at(-1) ?? message;
  return `Handlebars cannot parse it (${detail.replaceAll("'EOF'", 'the end of the template')})`;
}
