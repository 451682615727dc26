/**
 * Problems rendered three ways: eslint-style text with a code frame (people), JSON (tools) and
 * GitHub workflow annotations (pull requests). Pure: the caller writes the result. Code frames never
 * show a secret: every secret field's literal value and URL credentials are masked in every line.
 */
import { getSecretKeys } from '../config/check-config-file.js';
import { maskSecretValues } from '../config/mask-secret-values.js';
import type { Problem } from '../errors/problem.js';

export interface RenderProblemsOptions {
  /** File path → text, for code frames. */
  sources: ReadonlyMap<string, string>;
  /** Keys whose values are secrets, masked in every frame. Default: the schemas' `x-ferry-secret` keys. */
  secretKeys?: ReadonlySet<string>;
  color?: boolean;
  /** Problems left out because of the cap. */
  omitted?: number;
}

const ansi = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const plain = (s: string) => s;

export function renderProblemsText(problems: readonly Problem[], options: RenderProblemsOptions): string {
  const c = options.color
    ? { red: ansi(31), yellow: ansi(33), dim: ansi(2), bold: ansi(1), cyan: ansi(36) }
    : { red: plain, yellow: plain, dim: plain, bold: plain, cyan: plain };
  const lines: string[] = [];
  const secretKeys = options.secretKeys ?? getSecretKeys();
  const masked = new Map<string, string>();
  /** Frames show the masked text: a literal secret near a problem is never printed. */
  const frameText = (file: string): string | undefined => {
    const text = options.sources.get(file);
    if (text === undefined) return undefined;
    let out = masked.get(file);
    if (out === undefined) masked.set(file, (out = maskSecretValues(text, secretKeys)));
    return out;
  };
  const byFile = new Map<string, Problem[]>();
  for (const problem of problems) {
    const file = problem.at?.file ?? '(configuration)';
    byFile.set(file, [...(byFile.get(file) ?? []), problem]);
  }
  for (const [file, fileProblems] of byFile) {
    lines.push(c.bold(file));
    for (const problem of fileProblems) {
      const position = problem.at ? `${problem.at.line}:${problem.at.col}` : '-';
      const severity = problem.severity === 'error' ? c.red('error') : c.yellow('warning');
      lines.push(`  ${position}  ${severity}  ${problem.message}  ${c.dim(problem.code)}`);
      const text = problem.at ? frameText(problem.at.file) : undefined;
      if (text !== undefined && problem.at) {
        lines.push(...codeFrame(text, problem.at, c.red, { mask: MASKED_CODES.has(problem.code) }));
      }
      if (problem.hint) lines.push(`    ${c.cyan('hint:')} ${problem.hint}`);
      lines.push('');
    }
  }
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const total = problems.length;
  const summary = `${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`;
  lines.push((errors ? c.red('✖ ') : c.yellow('⚠ ')) + summary);
  if (options.omitted) {
    lines.push(`… and ${options.omitted} more not shown (ferry stops listing after the first ${total}).`);
  }
  return lines.join('\n') + '\n';
}

/** Problems whose underlined value is (or contains) a secret: the whole span is masked too. */
const MASKED_CODES: ReadonlySet<string> = new Set(['CONFIG_LITERAL_SECRET', 'CONFIG_CREDENTIALS_IN_URL']);

function codeFrame(
  text: string,
  at: NonNullable<Problem['at']>,
  mark: (s: string) => string,
  options: { mask: boolean },
): string[] {
  const all = text.split(/\r?\n/);
  const first = Math.max(1, at.line - 1);
  const last = Math.min(all.length, at.line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    let source = (all[n - 1] ?? '').replace(/\t/g, ' ');
    if (options.mask && n === at.line) {
      const end = at.endLine === at.line && at.endCol !== undefined ? at.endCol - 1 : source.length;
      source = source.slice(0, at.col - 1) + '*'.repeat(Math.max(0, end - at.col + 1)) + source.slice(end);
    }
    const gutter = `${n === at.line ? '>' : ' '} ${String(n).padStart(width)} |`;
    out.push(`    ${gutter}${source ? ' ' + source : ''}`);
    if (n === at.line) {
      const endCol =
        at.endLine === at.line && at.endCol !== undefined && at.endCol > at.col ? at.endCol : at.col + 1;
      const length = Math.max(1, Math.min(endCol - at.col, source.length - at.col + 1));
      out.push(`    ${' '.repeat(width + 2)} | ${' '.repeat(at.col - 1)}${mark('^'.repeat(length))}`);
    }
  }
  return out;
}

export function renderProblemsJson(problems: readonly Problem[], options: { omitted?: number } = {}): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  return (
    JSON.stringify(
      {
        format_version: 1,
        valid: errors === 0,
        errors,
        warnings: problems.length - errors,
        omitted: options.omitted ?? 0,
        problems,
      },
      null,
      2,
    ) + '\n'
  );
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderProblemsGithub(problems: readonly Problem[]): string {
  return problems
    .map((p) => {
      const props = [
        p.at ? `file=${escapeProperty(p.at.file)}` : undefined,
        p.at ? `line=${p.at.line}` : undefined,
        p.at ? `col=${p.at.col}` : undefined,
        p.at?.endLine !== undefined ? `endLine=${p.at.endLine}` : undefined,
        p.at?.endCol !== undefined && p.at.endLine === p.at.line ? `endColumn=${p.at.endCol}` : undefined,
        `title=${escapeProperty(p.code)}`,
      ].filter((x): x is string => x !== undefined);
      const message = p.hint ? `${p.message} ${p.hint}` : p.message;
      return `::${p.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(message)}`;
    })
    .join('\n')
    .concat(problems.length ? '\n' : '');
}
