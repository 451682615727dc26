/**
 * YAML parsing with every hazard turned into a located problem.
 *
 * `yaml`'s `toJS()` still returns a value for a document with duplicate keys, and unknown tags
 * (`!secret`) are only warnings, so both `doc.errors` and `doc.warnings` become problems here.
 * YAML 1.2 only: a `%YAML 1.1` directive would change how `0755` or `yes` are read, so it is refused.
 */
import type { YAMLError } from 'yaml';
import { Composer, isDocument, isScalar, LineCounter, Parser, visit, type Document, type Scalar } from 'yaml';
import type { Problem } from '../errors/problem.js';
import type { SourceFile } from './source-file.js';

/** Config files are small; anything bigger is a mistake (or an attack). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Alias expansion cap: stops "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedYamlFile {
  file: SourceFile;
  /** Undefined when the text could not be parsed into one document. */
  doc: Document | undefined;
  value: unknown;
  lineCounter: LineCounter;
  problems: Problem[];
}

const YAML_CODE_TO_PROBLEM: Record<string, string> = {
  DUPLICATE_KEY: 'YAML_DUPLICATE_KEY',
  TAB_AS_INDENT: 'YAML_TAB_INDENT',
  TAG_RESOLVE_FAILED: 'YAML_UNKNOWN_TAG',
  BAD_ALIAS: 'YAML_BAD_ALIAS',
};

const HINTS: Record<string, string> = {
  YAML_DUPLICATE_KEY:
    'Remove one of the two entries; YAML keeps only one of them and ferry will not guess which.',
  YAML_TAB_INDENT: 'Indent with spaces; tabs are not allowed for indentation in YAML.',
  YAML_UNKNOWN_TAG:
    'ferry does not use YAML tags. For a secret, write a reference such as "${env:NAME}" or "${file:/path}".',
  YAML_SYNTAX: 'Fix the YAML syntax at this position; check indentation and quoting.',
};

export function parseYamlFile(file: SourceFile): ParsedYamlFile {
  const lineCounter = new LineCounter();
  const problems: Problem[] = [];
  const at = (offset: number, endOffset?: number) => {
    const start = lineCounter.linePos(offset);
    const end = endOffset === undefined ? undefined : lineCounter.linePos(endOffset);
    return {
      file: file.path,
      line: start.line,
      col: start.col,
      ...(end ? { endLine: end.line, endCol: end.col } : {}),
    };
  };

  const bytes = Buffer.byteLength(file.text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    return {
      file,
      doc: undefined,
      value: undefined,
      lineCounter,
      problems: [
        {
          code: 'YAML_FILE_TOO_LARGE',
          severity: 'error',
          message: `Configuration file is ${bytes} bytes; the limit is ${MAX_CONFIG_BYTES} bytes.`,
          at: { file: file.path, line: 1, col: 1 },
          hint: 'Split large configurations into several pipeline files.',
        },
      ],
    };
  }

  const docs: Document[] = [];
  const composer = new Composer({ version: '1.2', uniqueKeys: true, strict: true });
  const parser = new Parser(lineCounter.addNewLine);
  for (const doc of composer.compose(parser.parse(file.text), true)) {
    if (isDocument(doc)) docs.push(doc);
  }

  if (docs.length > 1) {
    const second = docs[1];
    const offset = second?.range?.[0] ?? 0;
    problems.push({
      code: 'YAML_MULTIPLE_DOCUMENTS',
      severity: 'error',
      message: `Expected one YAML document, found ${docs.length}.`,
      at: at(offset),
      hint: 'Put each pipeline in its own file, or use a `pipelines:` list in one document.',
    });
  }
  const doc = docs[0];
  if (doc === undefined) {
    return { file, doc: undefined, value: undefined, lineCounter, problems };
  }

  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    problems.push({
      code: 'YAML_VERSION',
      severity: 'error',
      message: `YAML ${doc.directives.yaml.version} documents are not supported; ferry reads YAML 1.2.`,
      at: { file: file.path, line: 1, col: 1 },
      hint: 'Remove the %YAML directive. In YAML 1.2, quote values such as "0755", "yes" or "1.10" that must stay strings.',
    });
  }

  problems.push(...yamlErrorsToProblems([...doc.errors, ...doc.warnings], doc, file, at));

  let value: unknown;
  if (!doc.errors.length) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      if (!/alias count/i.test(detail)) {
        problems.push({
          code: 'YAML_BAD_ALIAS',
          severity: 'error',
          message: `${detail.replace(/\.$/, '')}.`,
          at: { file: file.path, line: 1, col: 1 },
          hint: 'Define each anchor (&name) before the aliases (*name) that use it.',
        });
        return { file, doc, value: undefined, lineCounter, problems };
      }
      // Point at the first alias: the library's message ("resource exhaustion attack") says nothing useful.
      let firstAlias: [number, number] | undefined;
      visit(doc, {
        Alias(_, node) {
          if (node.range) firstAlias = [node.range[0], node.range[1]];
          return visit.BREAK;
        },
      });
      problems.push({
        code: 'YAML_ALIAS_LIMIT',
        severity: 'error',
        message: `YAML aliases (*name) in this file expand beyond the limit of ${MAX_ALIAS_COUNT}; ferry stops reading it.`,
        at: firstAlias ? at(firstAlias[0], firstAlias[1]) : { file: file.path, line: 1, col: 1 },
        hint: 'Nested aliases multiply (a "billion laughs" document). Write the values out, or use fewer aliases.',
      });
    }
  }

  return { file, doc, value, lineCounter, problems };
}

/**
 * After a syntax error the parser's view of the rest of the file is unreliable: a tab used for
 * indentation is followed by "nested mappings are not allowed…" on every line below it. So only the
 * first syntax error is reported (the hint says so); duplicate keys and unknown tags are independent
 * mistakes and are all reported.
 */
function yamlErrorsToProblems(
  errors: readonly YAMLError[],
  doc: Document,
  file: SourceFile,
  at: (offset: number, endOffset?: number) => NonNullable<Problem['at']>,
): Problem[] {
  const out: Problem[] = [];
  let firstSyntax: Problem | undefined;
  let hidden = 0;
  for (const error of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const problem = yamlErrorToProblem(error, at);
    const isSyntax = problem.code === 'YAML_SYNTAX' || problem.code === 'YAML_TAB_INDENT';
    if (isSyntax && firstSyntax) {
      hidden += 1;
      continue;
    }
    if (isSyntax) firstSyntax = problem;
    if (problem.code === 'YAML_DUPLICATE_KEY') describeDuplicateKey(problem, error.pos[0], doc, file, at);
    out.push(problem);
  }
  if (firstSyntax && hidden > 0) {
    firstSyntax.hint =
      `${firstSyntax.hint ?? ''} Later syntax errors are not shown until this one is fixed.`.trim();
  }
  return out;
}

/** "Map keys must be unique" → which key, with the whole key underlined. */
function describeDuplicateKey(
  problem: Problem,
  offset: number,
  doc: Document,
  file: SourceFile,
  at: (offset: number, endOffset?: number) => NonNullable<Problem['at']>,
): void {
  // The error's offset is at or just before the repeated key (leading space and line breaks count).
  let key: Scalar | undefined;
  visit(doc, {
    Pair(_, pair) {
      const start = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      const best = key?.range?.[0];
      if (start !== undefined && start >= offset && (best === undefined || start < best)) {
        key = pair.key as Scalar;
      }
    },
  });
  const range = key?.range;
  if (!key || !range) return;
  const text = file.text.slice(range[0], range[1]);
  problem.message = `Key "${text}" appears twice in the same mapping.`;
  problem.at = at(range[0], range[1]);
}

function yamlErrorToProblem(
  error: YAMLError,
  at: (offset: number, endOffset?: number) => NonNullable<Problem['at']>,
): Problem {
  const code = YAML_CODE_TO_PROBLEM[error.code] ?? 'YAML_SYNTAX';
  const firstLine = error.message.split('\n')[0] ?? error.message;
  const stripped = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  const tag = code === 'YAML_UNKNOWN_TAG' ? /Unresolved tag: (\S+)/.exec(stripped)?.[1] : undefined;
  const message = tag !== undefined ? `Unknown YAML tag ${tag}` : stripped;
  const hint = HINTS[code] ?? HINTS['YAML_SYNTAX'];
  return {
    code,
    severity: error.name === 'YAMLWarning' && code !== 'YAML_UNKNOWN_TAG' ? 'warning' : 'error',
    message: message.endsWith('.') ? message : `${message}.`,
    at: at(error.pos[0], error.pos[1]),
    ...(hint ? { hint } : {}),
  };
}
