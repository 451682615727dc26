/**
 * One (pruned) ajv error → one problem that says what is wrong in the user's words (patterns in
 * words, "did you mean", how YAML read a value), where (the key or the value in the file), and what
 * to do next. Messages never echo a value that could be a secret: only enum values, `kind`s, names
 * and map keys are quoted back; literal secrets and URLs are described, not shown.
 */
import type { ErrorObject } from 'ajv';
import { isScalar, type Document, type LineCounter } from 'yaml';
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
import { suggest } from './suggest.js';

export interface ProblemContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

/** `source.format.delimiter`, `pipelines[0].name`; the root is "The file" (it starts a sentence). */
function describePath(pointer: string): string {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return 'The file';
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** "in source", or "at the top level" for the root. */
function inPlace(pointer: string): string {
  return pointer === '' ? 'at the top level' : `in ${describePath(pointer)}`;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** The text of a scalar as written in the file (`1.10`, `0755`), when the value is a plain scalar. */
function writtenAs(context: ProblemContext, pointer: string): string | undefined {
  const node: unknown = context.doc.getIn(parsePointer(pointer), true);
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}

/** A scalar quoted back in a message; undefined for structures and long text. */
function quoteScalar(value: unknown): string | undefined {
  if (value === null || ['number', 'boolean'].includes(typeof value)) return String(value);
  if (typeof value === 'string' && value.length <= 60) return JSON.stringify(value);
  return undefined;
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
  const where = describePath(pointer);
  const locate = (p: string, target: 'key' | 'value' = 'value'): SourceLocation =>
    locatePointer(context.doc, context.lineCounter, context.file, p, target);
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as JsonSchema | undefined;
  const problem = (
    code: string,
    message: string,
    at: SourceLocation,
    problemPointer: string,
    hint?: string,
  ): Problem => ({
    code,
    severity: 'error',
    message,
    at,
    pointer: problemPointer,
    ...(hint !== undefined ? { hint } : {}),
  });

  // A map key that is not a valid name (connections.Demo): reported at the key, with the rule.
  if (error.propertyName !== undefined) {
    const key = error.propertyName;
    const keyPointer = `${pointer}/${escape(key)}`;
    const pattern = error.keyword === 'pattern' ? describePattern(String(params['pattern'])) : undefined;
    const fix = pattern?.fix?.(key);
    const rule = pattern ? `expected ${pattern.words}` : (error.message ?? 'not allowed here');
    return problem(
      'CONFIG_INVALID_VALUE',
      `Key "${key}" ${inPlace(pointer)} is not a valid name: ${rule}.`,
      locate(keyPointer, 'key'),
      keyPointer,
      fix !== undefined
        ? `Did you mean "${fix}"? Rename the key (and every reference to it).`
        : describeSchema(parent),
    );
  }

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const keyPointer = `${pointer}/${escape(key)}`;
      const allowed = Object.keys((parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
      const guess = suggest(key, allowed);
      const required = params['typoOfRequired'] !== undefined ? ` ("${guess}" is required here)` : '';
      return problem(
        'CONFIG_UNKNOWN_KEY',
        `Unknown key "${key}" ${inPlace(pointer)}.`,
        locate(keyPointer, 'key'),
        keyPointer,
        guess
          ? `Did you mean "${guess}"?${required}`
          : allowed.length
            ? `Allowed keys here: ${allowed.join(', ')}.`
            : 'Remove this key.',
      );
    }
    case 'required': {
      const key = String(params['missingProperty']);
      const dependency = /\/dependencies\/([^/]+)\/required$/.exec(error.schemaPath)?.[1];
      if (dependency !== undefined) {
        // `sequence` needs `pick: sequence`: point at the key that brings the requirement.
        const needed = constOf(parent, key, definitions);
        const dependencyPointer = `${pointer}/${escape(dependency)}`;
        return problem(
          'CONFIG_MISSING_KEY',
          `${where} sets "${dependency}", which also needs "${key}"${needed !== undefined ? `: ${needed}` : ''}.`,
          locate(dependencyPointer, 'key'),
          dependencyPointer,
          `Add ${key}${needed !== undefined ? `: ${needed}` : ''}, or remove ${dependency}.`,
        );
      }
      const description = describeProperty(parent, key, definitions);
      return problem(
        'CONFIG_MISSING_KEY',
        `Missing required key "${key}" ${inPlace(pointer)}.`,
        locate(pointer, 'key'),
        pointer,
        description ? `Add "${key}": ${lowerFirst(description)}` : `Add "${key}".`,
      );
    }
    case 'discriminator': {
      const tag = typeof params['tag'] === 'string' ? params['tag'] : 'kind';
      const allowed = discriminatorValues(parent, definitions);
      const tagValue = params['tagValue'];
      if (params['error'] === 'tag' && tagValue === undefined) {
        return problem(
          'CONFIG_MISSING_KEY',
          `Missing required key "${tag}" ${inPlace(pointer)}.`,
          locate(pointer, 'key'),
          pointer,
          allowed.length ? `Set "${tag}" to one of: ${allowed.join(', ')}.` : `Add "${tag}".`,
        );
      }
      const shown = quoteScalar(tagValue) ?? jsonTypeOf(tagValue);
      const guess = typeof tagValue === 'string' ? suggest(tagValue, allowed) : undefined;
      return problem(
        'CONFIG_INVALID_VALUE',
        `${shown} is not a known ${tag} for ${where}.`,
        locate(`${pointer}/${tag}`),
        `${pointer}/${tag}`,
        guess
          ? `Did you mean "${guess}"? Allowed: ${allowed.join(', ')}.`
          : `Allowed: ${allowed.join(', ')}.`,
      );
    }
    case 'x-ferry-status':
      return problem(
        'CONFIG_NOT_SUPPORTED_YET',
        `"${where}" is part of ferry's configuration contract but not supported yet.`,
        locate(pointer, 'key'),
        pointer,
        'Remove it for now; docs/seed-options.md lists which options work today.',
      );
    case 'x-ferry-secret': {
      // Never quote the value: it is (or contains) the secret.
      const body = typeof error.data === 'string' ? /^\$\{([^}]*)\}$/.exec(error.data)?.[1] : undefined;
      const ref = body !== undefined ? parseReference(body) : undefined;
      if (ref?.defaultValue !== undefined) {
        return problem(
          'CONFIG_LITERAL_SECRET',
          `${where} gives its reference a default (":-…"), which puts a literal secret in the file.`,
          locate(pointer),
          pointer,
          `Write "\${${ref.kind}:${ref.name}}" without a default, and remove the literal from the file (and from git history); rotate it if it was ever committed.`,
        );
      }
      if (body !== undefined) {
        return problem(
          'CONFIG_LITERAL_SECRET',
          `${where} holds a "\${…}" that is not a valid reference; secrets are accepted only as references.`,
          locate(pointer),
          pointer,
          'Write "${env:NAME}" or "${file:/path/to/secret}" (exactly one reference, nothing around it).',
        );
      }
      return problem(
        'CONFIG_LITERAL_SECRET',
        `${where} holds a literal value; secrets are accepted only as references.`,
        locate(pointer),
        pointer,
        'Write "${env:NAME}" or "${file:/path/to/secret}" and remove the literal value from the file (and from git history); rotate it if it was ever committed.',
      );
    }
    case 'type': {
      const value = error.data;
      const type = String(params['type']);
      return problem(
        'CONFIG_WRONG_TYPE',
        `${where} must be ${typeWords(type)}, not ${jsonTypeOf(value)}.`,
        locate(pointer),
        pointer,
        typeHint(type, value, writtenAs(context, pointer)) ??
          describeSchema(unionOf(error, definitions) ?? parent),
      );
    }
    case 'enum':
    case 'const': {
      const allowed =
        error.keyword === 'enum' ? (params['allowedValues'] as unknown[]) : [params['allowedValue']];
      const value = error.data;
      const shown = quoteScalar(value);
      const list = allowed.map((v) => JSON.stringify(v));
      const expected = list.length === 1 ? (list[0] ?? '') : `one of ${list.join(', ')}`;
      const guess = typeof value === 'string' ? suggest(value, allowed.map(String)) : undefined;
      const written = writtenAs(context, pointer);
      const key = parsePointer(pointer).at(-1);
      const dependency = /\/dependencies\/([^/]+)\//.exec(error.schemaPath)?.[1];
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
        `${where} must be ${expected}${shown !== undefined ? `, not ${shown}` : ''}.`,
        locate(pointer),
        pointer,
        guess ? `Did you mean "${guess}"?` : (misread ?? because),
      );
    }
    case 'pattern': {
      const pattern = describePattern(String(params['pattern']));
      const fix = pattern?.fix && typeof error.data === 'string' ? pattern.fix(error.data) : undefined;
      return problem(
        'CONFIG_INVALID_VALUE',
        pattern
          ? `${where} is not valid: expected ${pattern.words}.`
          : `${where} does not have the expected form.`,
        locate(pointer),
        pointer,
        fix !== undefined ? `Did you mean "${fix}"?` : pattern ? undefined : describeSchema(parent),
      );
    }
    case 'anyOf':
    case 'oneOf': {
      const choices = params['missingOneOf'];
      if (Array.isArray(choices)) {
        const keys = choices.map(String);
        return problem(
          'CONFIG_MISSING_KEY',
          `${where} needs ${exclusive(parent, keys) ? 'exactly' : 'at least'} one of ${keys.join(', ')}.`,
          locate(pointer, 'key'),
          pointer,
          exampleFrom(parent) ?? `Add one of: ${keys.join(', ')}.`,
        );
      }
      return problem(
        'CONFIG_INVALID_VALUE',
        params['passingSchemas'] != null
          ? `${where} matches more than one allowed form; use exactly one.`
          : `${where} does not match any allowed form.`,
        locate(pointer),
        pointer,
        describeSchema(parent),
      );
    }
    case 'not':
      return conflictProblem(error, pointer, where, locate, parent);
    default: {
      const detail = limitWords(error) ?? error.message ?? 'is invalid';
      const target = error.keyword === 'uniqueItems' ? `${pointer}/${String(params['i'])}` : pointer;
      return problem(
        'CONFIG_INVALID_VALUE',
        `${where} ${detail}.`,
        locate(target),
        target,
        describeSchema(parent),
      );
    }
  }
}

/**
 * `dependencies: {a: {not: {required: [b]}}}` (schedule kinds, fields/exclude): name the keys that
 * clash and point at the later one, which is usually the one just added.
 */
function conflictProblem(
  error: ErrorObject,
  pointer: string,
  where: string,
  locate: (p: string, target?: 'key' | 'value') => SourceLocation,
  parent: JsonSchema | undefined,
): Problem {
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
  return {
    code: 'CONFIG_CONFLICT',
    severity: 'error',
    message,
    at: last?.at ?? locate(pointer, 'key'),
    pointer: last ? `${pointer}/${escape(last.key)}` : pointer,
    ...hintFrom(describeSchema(parent)),
  };
}

/** For a type error in one branch of a union (`diff: true | {…}`), the union's own schema. */
function unionOf(error: ErrorObject, definitions: Record<string, JsonSchema>): JsonSchema | undefined {
  if (!/\/(?:oneOf|anyOf)\/\d+\/type$/.test(error.schemaPath)) return undefined;
  const branch = error.parentSchema;
  const has = (list: unknown) => Array.isArray(list) && (list as unknown[]).includes(branch);
  return Object.values(definitions).find((d) => has(d['oneOf']) || has(d['anyOf']));
}

/** ajv's "must be >= 1" and friends, in words. */
function limitWords(error: ErrorObject): string | undefined {
  const limit = Number(error.params['limit']);
  const parent = error.parentSchema as JsonSchema | undefined;
  const range =
    typeof parent?.['minimum'] === 'number' && typeof parent['maximum'] === 'number'
      ? `must be between ${parent['minimum']} and ${parent['maximum']}`
      : undefined;
  switch (error.keyword) {
    case 'minimum':
      return range ?? `must be at least ${limit}`;
    case 'maximum':
      return range ?? `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`;
    case 'maxLength':
      return `must be at most ${limit} characters long`;
    case 'minItems':
      return limit === 1 ? 'must list at least one item' : `must list at least ${limit} items`;
    case 'maxItems':
      return `must list at most ${limit} items`;
    case 'uniqueItems':
      return `lists the same item twice (items ${Number(error.params['j']) + 1} and ${Number(error.params['i']) + 1})`;
    case 'format':
      return error.params['format'] === 'email' ? 'must be an email address' : undefined;
    default:
      return undefined;
  }
}

/** "The pipeline's name" → "the pipeline's name"; "S3 …" stays. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function hintFrom(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function typeWords(type: string): string {
  return type
    .split(' or ')
    .map((t) =>
      t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`,
    )
    .join(' or ');
}

function typeHint(type: string, value: unknown, written: string | undefined): string | undefined {
  // Only for plain text fields: quoting `format: 5` would not make it a valid format.
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean' || value === null)) {
    const text = written ?? String(value);
    return text !== String(value)
      ? `YAML reads ${text} as the ${value === null ? 'value' : typeof value} ${String(value)}; quote it to keep it as text: "${text}".`
      : `Quote the value so YAML keeps it as text: "${text}".`;
  }
  if (type.includes('array') && typeof value === 'string') {
    return `Write a list: [${JSON.stringify(value)}].`;
  }
  if (
    (type.includes('integer') || type.includes('number')) &&
    typeof value === 'string' &&
    /^-?\d+$/.test(value) &&
    !(written ?? '').includes('${')
  ) {
    return 'Remove the quotes: this value is a number.';
  }
  return undefined;
}
