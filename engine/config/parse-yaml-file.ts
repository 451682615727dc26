/**
 * YAML parsing with every hazard turned into a located problem.
 *
 * `yaml`'s `toJS()` still returns a value for a document with duplicate keys, and unknown tags
 * (`!secret`) are only warnings, so both `doc.errors` and `doc.warnings` become problems here.
 * YAML 1.2 only: a `%YAML 1.1` directive would change how `0755` or `yes` are read, so it is refused.
 */
import { LineCounter, Parser, Composer, isDocument, type Document, YAMLError } from 'yaml';
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
  YAML_DUPLICATE_KEY: 'Remove one of the two entries; YAML keeps only one of them and ferry will not guess which.',
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
    if (isDocument(doc)) docs.push(doc as Document);
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

  for (const error of [...doc.errors, ...doc.warnings]) {
    problems.push(yamlErrorToProblem(error, at));
  }

  let value: unknown;
  if (!doc.errors.length) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      problems.push({
        code: 'YAML_ALIAS_LIMIT',
        severity: 'error',
        message: `YAML aliases expand too much: ${error instanceof Error ? error.message : String(error)}.`,
        at: { file: file.path, line: 1, col: 1 },
        hint: `Use at most ${MAX_ALIAS_COUNT} alias expansions; write the values out instead.`,
      });
    }
  }

  return { file, doc, value, lineCounter, problems };
}

function yamlErrorToProblem(
  error: YAMLError,
  at: (offset: number, endOffset?: number) => NonNullable<Problem['at']>,
): Problem {
  const code = YAML_CODE_TO_PROBLEM[error.code] ?? 'YAML_SYNTAX';
  const firstLine = error.message.split('\n')[0] ?? error.message;
  const message = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  const hint = HINTS[code] ?? HINTS['YAML_SYNTAX'];
  return {
    code,
    severity: error.name === 'YAMLWarning' && code !== 'YAML_UNKNOWN_TAG' ? 'warning' : 'error',
    message: message.endsWith('.') ? message : `${message}.`,
    at: at(error.pos[0], error.pos[1]),
    ...(hint ? { hint } : {}),
  };
}
