/**
 * Schema validation with ajv, turned into located problems a person can act on.
 *
 * ajv reports every failing branch of a `oneOf`; printing them all buries the one that matters.
 * So errors are pruned: union (`kind`) errors come through ajv's discriminator, a `oneOf` summary is
 * dropped when a more specific error exists, type mismatches give way to errors inside the value,
 * and nothing is reported beneath a key that is "not supported yet".
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Document, LineCounter } from 'yaml';
import type { Problem } from '../errors/problem.js';
import { isSecretReference } from './interpolate-references.js';
import { locatePointer, parsePointer } from './locate-pointer.js';
import { suggest } from './suggest.js';
import type { JsonSchema } from './config-schemas.js';

// ajv-formats is published as CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface SchemaValidator {
  validate(value: unknown, context: ValidationContext): Problem[];
}

export interface ValidationContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  /** Pointer prefix when validating one item of a list (e.g. `/pipelines/2`). */
  basePointer?: string;
}

/** Compile a schema (optionally one of its definitions) into a validator. */
export function createSchemaValidator(schema: JsonSchema, options: { definition?: string } = {}): SchemaValidator {
  const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, discriminator: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: 'x-ferry-status',
    schemaType: 'string',
    errors: true,
    validate: function notSupported(status: string) {
      return status !== 'planned';
    },
  });
  ajv.addKeyword({
    keyword: 'x-ferry-secret',
    schemaType: 'boolean',
    errors: true,
    validate: function secretReference(isSecret: boolean, data: unknown) {
      return !isSecret || typeof data !== 'string' || isSecretReference(data);
    },
  });
  const prepared = addDiscriminators(structuredClone(schema));
  ajv.addSchema(prepared, 'root');
  const ref = options.definition ? `root#/definitions/${options.definition}` : 'root';
  const compiled = ajv.getSchema(ref);
  if (!compiled) throw new Error(`Schema reference ${ref} not found`);
  const definitions = (prepared['definitions'] ?? {}) as Record<string, JsonSchema>;
  return {
    validate(value, context) {
      return runValidation(compiled, value, context, definitions);
    },
  };
}

function runValidation(
  validate: ValidateFunction,
  value: unknown,
  context: ValidationContext,
  definitions: Record<string, JsonSchema>,
): Problem[] {
  if (validate(value)) return [];
  const errors = pruneErrors(validate.errors ?? []);
  const base = context.basePointer ?? '';
  return errors.map((error) => toProblem(error, context, base, definitions));
}

/** Add `discriminator: {propertyName: 'kind'}` to every oneOf whose branches are all `kind`-tagged. */
function addDiscriminators(schema: JsonSchema): JsonSchema {
  const definitions = (schema['definitions'] ?? {}) as Record<string, JsonSchema>;
  const resolve = (node: JsonSchema): JsonSchema => {
    const ref = node['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
      return definitions[ref.slice('#/definitions/'.length)] ?? node;
    }
    return node;
  };
  const kindOf = (branch: JsonSchema): unknown => {
    const properties = resolve(branch)['properties'] as Record<string, JsonSchema> | undefined;
    return properties?.['kind']?.['const'];
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as JsonSchema;
    const oneOf = record['oneOf'];
    if (
      Array.isArray(oneOf) &&
      oneOf.length > 1 &&
      oneOf.every((b) => typeof kindOf(b as JsonSchema) === 'string') &&
      oneOf.every((b) => ((resolve(b as JsonSchema)['required'] as string[] | undefined) ?? []).includes('kind'))
    ) {
      record['discriminator'] = { propertyName: 'kind' };
      if (record['type'] === undefined) record['type'] = 'object';
    }
    Object.values(record).forEach(visit);
  };
  visit(schema);
  return schema;
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

function pruneErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  // Nothing beneath a key that is not supported yet.
  const planned = errors.filter((e) => e.keyword === 'x-ferry-status').map((e) => e.instancePath);
  let kept = errors.filter(
    (e) => e.keyword === 'x-ferry-status' || !planned.some((p) => isUnder(e.instancePath, p)),
  );
  // A secret field holding a literal: one problem, not also a pattern mismatch.
  const secrets = kept.filter((e) => e.keyword === 'x-ferry-secret').map((e) => e.instancePath);
  kept = kept.filter((e) => e.keyword === 'x-ferry-secret' || !secrets.includes(e.instancePath));
  // `if` errors only point at the `then` branch errors that follow them.
  kept = kept.filter((e) => e.keyword !== 'if');
  // oneOf/anyOf summaries give way to anything more specific at or below them.
  const specific = (e: ErrorObject) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf';
  kept = kept.filter(
    (e) => specific(e) || !kept.some((o) => specific(o) && isUnder(o.instancePath, e.instancePath)),
  );
  // A type mismatch gives way to errors inside the value (the other branch of a union matched its type).
  kept = kept.filter(
    (e) =>
      e.keyword !== 'type' ||
      !kept.some(
        (o) =>
          o !== e && o.keyword !== 'type' && specific(o) && isUnder(o.instancePath, e.instancePath),
      ),
  );
  // Several type errors at one place (union of types) become one.
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of kept) {
    const id =
      e.keyword === 'type' ? `type:${e.instancePath}` : `${e.keyword}:${e.instancePath}:${JSON.stringify(e.params)}`;
    if (seen.has(id)) {
      if (e.keyword === 'type') {
        const first = out.find((o) => o.keyword === 'type' && o.instancePath === e.instancePath);
        if (first) first.params = { type: `${String(first.params['type'])} or ${String(e.params['type'])}` };
      }
      continue;
    }
    seen.add(id);
    out.push({ ...e, params: { ...e.params } });
  }
  return out;
}

function describePath(pointer: string): string {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return 'the document';
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function toProblem(
  error: ErrorObject,
  context: ValidationContext,
  base: string,
  definitions: Record<string, JsonSchema>,
): Problem {
  const pointer = base + error.instancePath;
  const where = describePath(pointer);
  const locate = (p: string, target: 'key' | 'value' = 'value') =>
    locatePointer(context.doc, context.lineCounter, context.file, p, target);
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as JsonSchema | undefined;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const allowed = Object.keys((parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
      const guess = suggest(key, allowed);
      return {
        code: 'CONFIG_UNKNOWN_KEY',
        severity: 'error',
        message: `Unknown key "${key}" in ${where}.`,
        at: locate(`${pointer}/${escape(key)}`, 'key'),
        pointer: `${pointer}/${escape(key)}`,
        hint: guess
          ? `Did you mean "${guess}"?`
          : allowed.length
            ? `Allowed keys here: ${allowed.join(', ')}.`
            : 'Remove this key.',
      };
    }
    case 'required': {
      const key = String(params['missingProperty']);
      const description = describeProperty(parent, key, definitions);
      return {
        code: 'CONFIG_MISSING_KEY',
        severity: 'error',
        message: `Missing required key "${key}" in ${where}.`,
        at: locate(pointer, 'key'),
        pointer,
        hint: description ? `Add "${key}": ${description}` : `Add "${key}".`,
      };
    }
    case 'discriminator': {
      const tag = String(params['tag'] ?? 'kind');
      const allowed = discriminatorValues(parent, definitions);
      if (params['error'] === 'tag') {
        return {
          code: 'CONFIG_MISSING_KEY',
          severity: 'error',
          message: `Missing required key "${tag}" in ${where}.`,
          at: locate(pointer, 'key'),
          pointer,
          hint: allowed.length ? `Set "${tag}" to one of: ${allowed.join(', ')}.` : `Add "${tag}".`,
        };
      }
      const value = String(params['tagValue']);
      const guess = suggest(value, allowed);
      return {
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        message: `"${value}" is not a known ${tag} for ${where}.`,
        at: locate(`${pointer}/${tag}`),
        pointer: `${pointer}/${tag}`,
        hint: guess ? `Did you mean "${guess}"? Allowed: ${allowed.join(', ')}.` : `Allowed: ${allowed.join(', ')}.`,
      };
    }
    case 'x-ferry-status':
      return {
        code: 'CONFIG_NOT_SUPPORTED_YET',
        severity: 'error',
        message: `"${where}" is part of ferry's configuration contract but not supported yet.`,
        at: locate(pointer, 'key'),
        pointer,
        hint: 'Remove it for now; docs/seed-options.md lists which options work today.',
      };
    case 'x-ferry-secret':
      return {
        code: 'CONFIG_LITERAL_SECRET',
        severity: 'error',
        message: `${where} holds a literal value; secrets are accepted only as references.`,
        at: locate(pointer),
        pointer,
        hint: 'Write "${env:NAME}" or "${file:/path/to/secret}" and remove the literal value from the file (and from git history).',
      };
    case 'type': {
      const value = valueAt(error);
      return {
        code: 'CONFIG_WRONG_TYPE',
        severity: 'error',
        message: `${where} must be ${typeWords(String(params['type']))}, not ${jsonTypeOf(value)}.`,
        at: locate(pointer),
        pointer,
        ...typeHint(String(params['type']), value),
      };
    }
    case 'enum':
    case 'const': {
      const allowed =
        error.keyword === 'enum' ? (params['allowedValues'] as unknown[]) : [params['allowedValue']];
      const value = valueAt(error);
      const guess = typeof value === 'string' ? suggest(value, allowed.map(String)) : undefined;
      return {
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        message: `${where} must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}.`,
        at: locate(pointer),
        pointer,
        ...(guess ? { hint: `Did you mean "${guess}"?` } : {}),
      };
    }
    case 'oneOf':
    case 'anyOf':
      return {
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        message:
          params['passingSchemas'] != null
            ? `${where} matches more than one allowed form; use exactly one.`
            : `${where} does not match any allowed form.`,
        at: locate(pointer),
        pointer,
        ...hintFrom(describeSchema(parent)),
      };
    case 'not':
      return {
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message: `${where} has options that cannot be used together.`,
        at: locate(pointer, 'key'),
        pointer,
        ...hintFrom(describeSchema(parent)),
      };
    default: {
      const hint = describeSchema(parent);
      return {
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        message: `${where} ${error.message ?? 'is invalid'}.`,
        at: locate(pointer),
        pointer,
        ...hintFrom(hint),
      };
    }
  }
}

function hintFrom(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function valueAt(error: ErrorObject): unknown {
  return error.data;
}

function typeWords(type: string): string {
  return type
    .split(' or ')
    .map((t) =>
      t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`,
    )
    .join(' or ');
}

function typeHint(type: string, value: unknown): { hint?: string } {
  if (type.includes('string') && typeof value === 'number') {
    return { hint: 'Quote the value so YAML keeps it as text (for example "06:00" or "0755").' };
  }
  if (type.includes('array') && typeof value === 'string') {
    return { hint: `Write a list: [${JSON.stringify(value)}].` };
  }
  return {};
}

function describeSchema(schema: JsonSchema | undefined): string | undefined {
  const description = schema?.['description'];
  if (typeof description !== 'string') return undefined;
  const first = description.split(/(?<=\.)\s/)[0] ?? description;
  return first.length > 200 ? first.slice(0, 197) + '...' : first;
}

function describeProperty(
  schema: JsonSchema | undefined,
  key: string,
  definitions: Record<string, JsonSchema>,
): string | undefined {
  const properties = schema?.['properties'] as Record<string, JsonSchema> | undefined;
  let property = properties?.[key];
  const ref = property?.['$ref'];
  if (typeof ref === 'string') property = definitions[ref.replace('#/definitions/', '')] ?? property;
  return describeSchema(property);
}

function discriminatorValues(schema: JsonSchema | undefined, definitions: Record<string, JsonSchema>): string[] {
  const oneOf = (schema?.['oneOf'] ?? []) as JsonSchema[];
  return oneOf
    .map((branch) => {
      const ref = branch['$ref'];
      const resolved = typeof ref === 'string' ? (definitions[ref.replace('#/definitions/', '')] ?? branch) : branch;
      const properties = resolved['properties'] as Record<string, JsonSchema> | undefined;
      return properties?.['kind']?.['const'];
    })
    .filter((v): v is string => typeof v === 'string');
}
