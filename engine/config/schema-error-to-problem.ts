/**
 * One (pruned) ajv error → one problem that says what is wrong in the user's words (patterns in
 * words, "did you mean", how YAML read a value), where (the key or the value in the file), and what
 * to do next. Messages never echo a value that could be a secret: only enum values, `kind`s, names
 * and map keys are quoted back; literal secrets and URLs are described, not shown.
 */
import type { ErrorObject } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import type { Problem, SourceLocation } from '../errors/problem.js';
import type { JsonSchema } from './config-schemas.js';
import { describePattern } from './describe-pattern.js';
import {
  constOf,
  describeProperty,
  describeSchema,
  discriminatorValues,
  exampleFrom,
  exclusive,
  requiredKeysIn,
} from './describe-schema.js';
import { parseReference } from './interpolate-references.js';
import { locatePointer, parsePointer } from './locate-pointer.js';
import {
  describePath,
  escapePointerToken as escape,
  inPlace,
  jsonTypeOf,
  limitWords,
  lowerFirst,
  quoteScalar,
  typeHint,
  typeWords,
  writtenAs,
} from './schema-error-words.js';
import { suggest } from './suggest.js';

export interface ProblemContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

/** What every case needs: the error, where it is, and how to locate a pointer in the file. */
interface ErrorCase {
  error: ErrorObject;
  context: ProblemContext;
  definitions: Record<string, JsonSchema>;
  /** The pointer of the failing value in the document. */
  pointer: string;
  /** The pointer in the user's words (`source.format`). */
  where: string;
  params: Record<string, unknown>;
  parent: JsonSchema | undefined;
  locate: (pointer: string, target?: 'key' | 'value') => SourceLocation;
}

function problem(code: string, message: string, at: SourceLocation, pointer: string, hint?: string): Problem {
  return { code, severity: 'error', message, at, pointer, ...(hint !== undefined ? { hint } : {}) };
}

/**
 * Turn one ajv error (already pruned, with ferry's annotations in `params`) into a located problem.
 * `base` is the pointer of the validated value in the document (`/pipelines/2` for a list item).
 */
export function schemaErrorToProblem(
  error: ErrorObject,
  context: ProblemContext,
  base: string,
  definitions: Record<string, JsonSchema>,
): Problem {
  const pointer = base + error.instancePath;
  const c: ErrorCase = {
    error,
    context,
    definitions,
    pointer,
    where: describePath(pointer),
    params: error.params as Record<string, unknown>,
    parent: error.parentSchema,
    locate: (p, target = 'value') => locatePointer(context.doc, context.lineCounter, context.file, p, target),
  };
  // A map key that is not a valid name (connections.Demo): reported at the key, with the rule.
  if (error.propertyName !== undefined) return keyNameProblem(c, error.propertyName);
  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKeyProblem(c);
    case 'required':
      return requiredProblem(c);
    case 'discriminator':
      return discriminatorProblem(c);
    case 'x-ferry-status':
      return problem(
        'CONFIG_NOT_SUPPORTED_YET',
        `"${c.where}" is part of ferry's configuration contract but not supported yet.`,
        c.locate(pointer, 'key'),
        pointer,
        'Remove it for now; docs/seed-options.md lists which options work today.',
      );
    case 'x-ferry-secret':
      return literalSecretProblem(c);
    case 'type':
      return typeProblem(c);
    case 'enum':
    case 'const':
      return enumProblem(c);
    case 'pattern':
      return patternProblem(c);
    case 'anyOf':
    case 'oneOf':
      return unionProblem(c);
    case 'not':
      return conflictProblem(c);
    default: {
      const detail = limitWords(error) ?? error.message ?? 'is invalid';
      const target = error.keyword === 'uniqueItems' ? `${pointer}/${String(c.params['i'])}` : pointer;
      return problem(
        'CONFIG_INVALID_VALUE',
        `${c.where} ${detail}.`,
        c.locate(target),
        target,
        describeSchema(c.parent),
      );
    }
  }
}

function keyNameProblem(c: ErrorCase, key: string): Problem {
  const keyPointer = `${c.pointer}/${escape(key)}`;
  const pattern = c.error.keyword === 'pattern' ? describePattern(String(c.params['pattern'])) : undefined;
  const fix = pattern?.fix?.(key);
  const rule = pattern ? `expected ${pattern.words}` : (c.error.message ?? 'not allowed here');
  return problem(
    'CONFIG_INVALID_VALUE',
    `Key "${key}" ${inPlace(c.pointer)} is not a valid name: ${rule}.`,
    c.locate(keyPointer, 'key'),
    keyPointer,
    fix !== undefined
      ? `Did you mean "${fix}"? Rename the key (and every reference to it).`
      : describeSchema(c.parent),
  );
}

function unknownKeyProblem(c: ErrorCase): Problem {
  const key = String(c.params['additionalProperty']);
  const keyPointer = `${c.pointer}/${escape(key)}`;
  const allowed = Object.keys((c.parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
  const guess = suggest(key, allowed);
  const required = c.params['typoOfRequired'] !== undefined ? ` ("${guess}" is required here)` : '';
  return problem(
    'CONFIG_UNKNOWN_KEY',
    `Unknown key "${key}" ${inPlace(c.pointer)}.`,
    c.locate(keyPointer, 'key'),
    keyPointer,
    guess
      ? `Did you mean "${guess}"?${required}`
      : allowed.length
        ? `Allowed keys here: ${allowed.join(', ')}.`
        : 'Remove this key.',
  );
}

function requiredProblem(c: ErrorCase): Problem {
  const key = String(c.params['missingProperty']);
  const dependency = /\/dependencies\/([^/]+)\/required$/.exec(c.error.schemaPath)?.[1];
  if (dependency !== undefined) {
    // `sequence` needs `pick: sequence`: point at the key that brings the requirement.
    const needed = constOf(c.parent, key, c.definitions);
    const dependencyPointer = `${c.pointer}/${escape(dependency)}`;
    return problem(
      'CONFIG_MISSING_KEY',
      `${c.where} sets "${dependency}", which also needs "${key}"${needed !== undefined ? `: ${needed}` : ''}.`,
      c.locate(dependencyPointer, 'key'),
      dependencyPointer,
      `Add ${key}${needed !== undefined ? `: ${needed}` : ''}, or remove ${dependency}.`,
    );
  }
  const description = describeProperty(c.parent, key, c.definitions);
  return problem(
    'CONFIG_MISSING_KEY',
    `Missing required key "${key}" ${inPlace(c.pointer)}.`,
    c.locate(c.pointer, 'key'),
    c.pointer,
    description ? `Add "${key}": ${lowerFirst(description)}` : `Add "${key}".`,
  );
}

function discriminatorProblem(c: ErrorCase): Problem {
  const tag = typeof c.params['tag'] === 'string' ? c.params['tag'] : 'kind';
  const allowed = discriminatorValues(c.parent, c.definitions);
  const tagValue = c.params['tagValue'];
  if (c.params['error'] === 'tag' && tagValue === undefined) {
    return problem(
      'CONFIG_MISSING_KEY',
      `Missing required key "${tag}" ${inPlace(c.pointer)}.`,
      c.locate(c.pointer, 'key'),
      c.pointer,
      allowed.length ? `Set "${tag}" to one of: ${allowed.join(', ')}.` : `Add "${tag}".`,
    );
  }
  const shown = quoteScalar(tagValue) ?? jsonTypeOf(tagValue);
  const guess = typeof tagValue === 'string' ? suggest(tagValue, allowed) : undefined;
  return problem(
    'CONFIG_INVALID_VALUE',
    `${shown} is not a known ${tag} for ${c.where}.`,
    c.locate(`${c.pointer}/${tag}`),
    `${c.pointer}/${tag}`,
    guess ? `Did you mean "${guess}"? Allowed: ${allowed.join(', ')}.` : `Allowed: ${allowed.join(', ')}.`,
  );
}

function literalSecretProblem(c: ErrorCase): Problem {
  // Never quote the value: it is (or contains) the secret.
  const data = c.error.data;
  const body = typeof data === 'string' ? /^\$\{([^}]*)\}$/.exec(data)?.[1] : undefined;
  const ref = body !== undefined ? parseReference(body) : undefined;
  const at = c.locate(c.pointer);
  if (ref?.defaultValue !== undefined) {
    return problem(
      'CONFIG_LITERAL_SECRET',
      `${c.where} gives its reference a default (":-…"), which puts a literal secret in the file.`,
      at,
      c.pointer,
      `Write "\${${ref.kind}:${ref.name}}" without a default, and remove the literal from the file (and from git history); rotate it if it was ever committed.`,
    );
  }
  if (body !== undefined) {
    return problem(
      'CONFIG_LITERAL_SECRET',
      `${c.where} holds a "\${…}" that is not a valid reference; secrets are accepted only as references.`,
      at,
      c.pointer,
      'Write "${env:NAME}" or "${file:/path/to/secret}" (exactly one reference, nothing around it).',
    );
  }
  return problem(
    'CONFIG_LITERAL_SECRET',
    `${c.where} holds a literal value; secrets are accepted only as references.`,
    at,
    c.pointer,
    'Write "${env:NAME}" or "${file:/path/to/secret}" and remove the literal value from the file (and from git history); rotate it if it was ever committed.',
  );
}

function typeProblem(c: ErrorCase): Problem {
  const value = c.error.data;
  const type = String(c.params['type']);
  return problem(
    'CONFIG_WRONG_TYPE',
    `${c.where} must be ${typeWords(type)}, not ${jsonTypeOf(value)}.`,
    c.locate(c.pointer),
    c.pointer,
    typeHint(type, value, writtenAs(c.context.doc, c.pointer)) ??
      describeSchema(unionOf(c.error, c.definitions) ?? c.parent),
  );
}

function enumProblem(c: ErrorCase): Problem {
  const allowed =
    c.error.keyword === 'enum' ? (c.params['allowedValues'] as unknown[]) : [c.params['allowedValue']];
  const value = c.error.data;
  const shown = quoteScalar(value);
  const list = allowed.map((v) => JSON.stringify(v));
  const expected = list.length === 1 ? (list[0] ?? '') : `one of ${list.join(', ')}`;
  const guess = typeof value === 'string' ? suggest(value, allowed.map(String)) : undefined;
  const written = writtenAs(c.context.doc, c.pointer);
  const key = parsePointer(c.pointer).at(-1);
  const dependency = /\/dependencies\/([^/]+)\//.exec(c.error.schemaPath)?.[1];
  const because =
    dependency !== undefined && list.length === 1 && key !== undefined
      ? `"${dependency}" is set, which needs ${key}: ${String(allowed[0])}; set that, or remove ${dependency}.`
      : undefined;
  const misread =
    written !== undefined && typeof value !== 'string' && written !== String(value)
      ? `YAML reads ${written} as the ${typeof value} ${String(value)}.` +
        (list.length === 1 && key !== undefined ? ` Write ${key}: ${list[0] ?? ''}.` : '')
      : undefined;
  return problem(
    'CONFIG_INVALID_VALUE',
    `${c.where} must be ${expected}${shown !== undefined ? `, not ${shown}` : ''}.`,
    c.locate(c.pointer),
    c.pointer,
    guess ? `Did you mean "${guess}"?` : (misread ?? because),
  );
}

function patternProblem(c: ErrorCase): Problem {
  const pattern = describePattern(String(c.params['pattern']));
  const data = c.error.data;
  const fix = pattern?.fix && typeof data === 'string' ? pattern.fix(data) : undefined;
  return problem(
    'CONFIG_INVALID_VALUE',
    pattern
      ? `${c.where} is not valid: expected ${pattern.words}.`
      : `${c.where} does not have the expected form.`,
    c.locate(c.pointer),
    c.pointer,
    fix !== undefined ? `Did you mean "${fix}"?` : pattern ? undefined : describeSchema(c.parent),
  );
}

function unionProblem(c: ErrorCase): Problem {
  const choices = c.params['missingOneOf'];
  if (Array.isArray(choices)) {
    const keys = choices.map(String);
    return problem(
      'CONFIG_MISSING_KEY',
      `${c.where} needs ${exclusive(c.parent, keys) ? 'exactly' : 'at least'} one of ${keys.join(', ')}.`,
      c.locate(c.pointer, 'key'),
      c.pointer,
      exampleFrom(c.parent) ?? `Add one of: ${keys.join(', ')}.`,
    );
  }
  return problem(
    'CONFIG_INVALID_VALUE',
    c.params['passingSchemas'] != null
      ? `${c.where} matches more than one allowed form; use exactly one.`
      : `${c.where} does not match any allowed form.`,
    c.locate(c.pointer),
    c.pointer,
    describeSchema(c.parent),
  );
}

/**
 * `dependencies: {a: {not: {required: [b]}}}` (schedule kinds, fields/exclude): name the keys that
 * clash and point at the later one, which is usually the one just added.
 */
function conflictProblem(c: ErrorCase): Problem {
  const { error, pointer, where, locate } = c;
  const dependency = /\/dependencies\/([^/]+)\/not$/.exec(error.schemaPath)?.[1];
  const data =
    error.data !== null && typeof error.data === 'object' ? (error.data as Record<string, unknown>) : {};
  const others = requiredKeysIn(error.schema).filter((k) => k in data);
  const keys = dependency !== undefined ? [dependency, ...others.filter((k) => k !== dependency)] : others;
  const located = keys
    .map((key) => ({ key, at: locate(`${pointer}/${escape(key)}`, 'key') }))
    .sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
  const last = located.at(-1);
  const message =
    keys.length >= 2
      ? `${where} sets ${keys
          .map((k) => `"${k}"`)
          .join(keys.length === 2 ? ' and ' : ', ')}, which cannot be used together.`
      : `${where} has options that cannot be used together.`;
  const hint = describeSchema(c.parent);
  return {
    code: 'CONFIG_CONFLICT',
    severity: 'error',
    message,
    at: last?.at ?? locate(pointer, 'key'),
    pointer: last ? `${pointer}/${escape(last.key)}` : pointer,
    ...(hint === undefined ? {} : { hint }),
  };
}

/** For a type error in one branch of a union (`diff: true | {…}`), the union's own schema. */
function unionOf(error: ErrorObject, definitions: Record<string, JsonSchema>): JsonSchema | undefined {
  if (!/\/(?:oneOf|anyOf)\/\d+\/type$/.test(error.schemaPath)) return undefined;
  const branch = error.parentSchema;
  const has = (list: unknown) => Array.isArray(list) && (list as unknown[]).includes(branch);
  return Object.values(definitions).find((d) => has(d['oneOf']) || has(d['anyOf']));
}
