/**
 * sink.filename: a Handlebars template that parses, uses only the variables ferry provides, names
 * {{field}} for multi-csv, and cannot climb out of sink.directory.
 */
import { createRequire } from 'node:module';
import { explainTemplateError } from './explain-template-error.js';
import type { RuleIssue } from './rule-issue.js';
import { FILENAME_VARIABLES } from './filename-template.js';
import { suggest } from './suggest.js';

/**
 * Handlebars' parser alone (the function `Handlebars.parse` is): validating a template needs no
 * compiler or runtime, and loading all of Handlebars is a noticeable part of `ferry validate`'s
 * start-up. handlebars is pinned (package.json); test/unit/config/fixtures.test.ts covers templates.
 */
const { parse: parseTemplate } = createRequire(import.meta.url)(
  'handlebars/dist/cjs/handlebars/compiler/base.js',
) as { parse: (template: string) => hbs.AST.Program };

export function checkFilenameTemplate(
  template: string,
  issues: RuleIssue[],
  where: { file: string; pointer: string },
  multiFile: boolean,
): void {
  let ast: hbs.AST.Program;
  try {
    ast = parseTemplate(template);
  } catch (error) {
    issues.push({
      code: 'CONFIG_BAD_TEMPLATE',
      severity: 'error',
      message: `sink.filename is not a valid template: ${explainTemplateError(template, error)}.`,
      hint: 'Use {{variable}} placeholders, e.g. "accounts-{{timestamp}}.csv".',
      ...where,
    });
    return;
  }
  const used: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record['type'] === 'PathExpression') used.push(String(record['original']));
    Object.values(record).forEach(visit);
  };
  visit(ast.body);
  for (const name of used) {
    if (!(FILENAME_VARIABLES as readonly string[]).includes(name)) {
      const guess = suggest(name, FILENAME_VARIABLES);
      issues.push({
        code: 'CONFIG_UNKNOWN_TEMPLATE_VARIABLE',
        severity: 'error',
        message: `sink.filename uses {{${name}}}, which ferry does not provide.`,
        hint: `${guess ? `Did you mean {{${guess}}}? ` : ''}Known variables: ${FILENAME_VARIABLES.join(', ')}.`,
        ...where,
      });
    }
  }
  if (multiFile && !used.includes('field')) {
    issues.push({
      code: 'CONFIG_TEMPLATE_NEEDS_FIELD',
      severity: 'error',
      message:
        'format multi-csv writes one file per list/map field, so sink.filename must contain {{field}}.',
      hint: 'For example "users-{{field}}-{{timestamp}}.csv".',
      ...where,
    });
  }
  const staticText = template.replace(/\{\{[^}]*\}\}/g, 'x');
  if (
    staticText.startsWith('/') ||
    staticText.split('/').some((s) => s === '..' || s === '.') ||
    staticText.includes('//')
  ) {
    issues.push({
      code: 'CONFIG_UNSAFE_FILENAME',
      severity: 'error',
      message:
        'sink.filename must stay inside sink.directory: no leading "/", no "." or ".." segments, no "//".',
      hint: 'Put the folder in sink.directory and only the file name (optionally sub-folders) in filename.',
      ...where,
    });
  }
}
