/**
 * One configuration file through the front half of loading: parse → interpolate references →
 * validate against the schema. Pure: the caller supplies the text and a reference resolver.
 */
import type { Document, LineCounter } from 'yaml';
import type { Problem } from '../errors/problem.js';
import { readConfigSchema, collectSecretKeys } from './config-schemas.js';
import {
  interpolateReferences,
  type ReferenceResolver,
  type ResolvedReference,
} from './interpolate-references.js';
import { locatePointer } from './locate-pointer.js';
import { parseYamlFile, type ParsedYamlFile } from './parse-yaml-file.js';
import type { SourceFile } from './source-file.js';
import { compileConfigSchemaValidator } from './config-schema-validators.js';
import { createSchemaValidator, type SchemaValidator } from './validate-against-schema.js';

export type ConfigFileKind = 'project' | 'pipeline';

export interface CheckedConfigFile {
  file: SourceFile;
  kind: ConfigFileKind;
  /** The interpolated value; only meaningful when `valid`. */
  value: unknown;
  valid: boolean;
  problems: Problem[];
  doc: Document | undefined;
  lineCounter: LineCounter;
  /** Pointers of values that were written as references. */
  referencePointers: string[];
  /** The references resolved in the file, with their values (for showing the reference instead). */
  resolvedReferences: ResolvedReference[];
}

const validators: Partial<Record<ConfigFileKind, SchemaValidator>> = {};
let secretKeys: Set<string> | undefined;

/**
 * Each schema's validator is made once per process, when a file of its kind is first checked (it is
 * generated code unless the schema changed since; config-schema-validators.ts). A pipeline file and an item of a `pipelines:` list
 * use the same validator (the item's pointer prefix is passed at validation time).
 */
function validatorFor(kind: ConfigFileKind): SchemaValidator {
  let validator = validators[kind];
  if (!validator) {
    validator = createSchemaValidator(
      compileConfigSchemaValidator(kind === 'project' ? 'ferry' : 'pipeline'),
    );
    validators[kind] = validator;
  }
  return validator;
}

export function getSecretKeys(): ReadonlySet<string> {
  secretKeys ??= new Set([
    ...collectSecretKeys(readConfigSchema('ferry')),
    ...collectSecretKeys(readConfigSchema('pipeline')),
  ]);
  return secretKeys;
}

export function checkConfigFile(
  file: SourceFile,
  kind: ConfigFileKind,
  /** `parsed`: the file's text already parsed by the caller (parseYamlFile), not parsed again. */
  options: { resolve: ReferenceResolver; parsed?: ParsedYamlFile },
): CheckedConfigFile {
  const parsed = options.parsed ?? parseYamlFile(file);
  const base = {
    file,
    kind,
    doc: parsed.doc,
    lineCounter: parsed.lineCounter,
  };
  const problems = [...parsed.problems];
  if (!parsed.doc || problems.some((p) => p.severity === 'error')) {
    return {
      ...base,
      value: parsed.value,
      valid: false,
      problems,
      referencePointers: [],
      resolvedReferences: [],
    };
  }
  const doc = parsed.doc;
  if (parsed.value === null || parsed.value === undefined) {
    problems.push({
      code: 'CONFIG_EMPTY_FILE',
      severity: 'error',
      message: `The file is empty; expected a ${kind === 'project' ? 'ferry project' : 'pipeline'} definition.`,
      at: { file: file.path, line: 1, col: 1 },
      hint:
        kind === 'project'
          ? 'Run `ferry init` to scaffold a project, or add `version: 1`.'
          : 'Add a pipeline with name, source and sink, or delete the file.',
    });
    return {
      ...base,
      value: undefined,
      valid: false,
      problems,
      referencePointers: [],
      resolvedReferences: [],
    };
  }

  const interpolated = interpolateReferences(parsed.value, {
    secretKeys: getSecretKeys(),
    resolve: options.resolve,
  });
  for (const issue of interpolated.issues) {
    problems.push({
      code: issue.code,
      severity: 'error',
      message: issue.message,
      at: locatePointer(doc, parsed.lineCounter, file.path, issue.pointer),
      pointer: issue.pointer,
      hint: issue.hint,
    });
  }

  const unresolvedPointers = new Set(interpolated.issues.map((issue) => issue.pointer));
  const context = { file: file.path, doc, lineCounter: parsed.lineCounter, unresolvedPointers };
  const value = interpolated.value;
  const validator = validatorFor(kind);
  if (kind === 'project') {
    problems.push(...validator.validate(value, context));
  } else if (isPipelineList(value)) {
    const list = (value as { pipelines: unknown[] }).pipelines;
    const extraKeys = Object.keys(value as object).filter((k) => k !== 'pipelines');
    for (const key of extraKeys) {
      problems.push({
        code: 'CONFIG_UNKNOWN_KEY',
        severity: 'error',
        message: `Unknown key "${key}" next to a \`pipelines:\` list.`,
        at: locatePointer(doc, parsed.lineCounter, file.path, `/${key}`, 'key'),
        pointer: `/${key}`,
        hint: 'A pipeline file holds either one pipeline or a `pipelines:` list of them.',
      });
    }
    list.forEach((item, index) => {
      problems.push(...validator.validate(item, { ...context, basePointer: `/pipelines/${index}` }));
    });
  } else {
    problems.push(...validator.validate(value, context));
  }
  return {
    ...base,
    value,
    valid: !problems.some((p) => p.severity === 'error'),
    problems,
    referencePointers: interpolated.referencePointers,
    resolvedReferences: interpolated.resolved,
  };
}

function isPipelineList(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Array.isArray((value as Record<string, unknown>)['pipelines'])
  );
}
