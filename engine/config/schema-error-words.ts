/**
 * Wording for schema problems: paths as the user writes them (`source.format.delimiter`), JSON
 * types and limits in words, and the hints that explain how YAML read a value. Pure text helpers
 * for schema-error-to-problem.ts.
 */
import type { ErrorObject } from 'ajv';
import { isScalar, type Document } from 'yaml';
import type { JsonSchema } from './config-schemas.js';
import { parsePointer } from './locate-pointer.js';

/** `source.format.delimiter`, `pipelines[0].name`; the root is "The file" (it starts a sentence). */
export function describePath(pointer: string): string {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return 'The file';
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** "in source", or "at the top level" for the root. */
export function inPlace(pointer: string): string {
  return pointer === '' ? 'at the top level' : `in ${describePath(pointer)}`;
}

export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** The text of a scalar as written in the file (`1.10`, `0755`), when the value is a plain scalar. */
export function writtenAs(doc: Document, pointer: string): string | undefined {
  const node: unknown = doc.getIn(parsePointer(pointer), true);
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}

/** A scalar quoted back in a message; undefined for structures and long text. */
export function quoteScalar(value: unknown): string | undefined {
  if (value === null || ['number', 'boolean'].includes(typeof value)) return String(value);
  if (typeof value === 'string' && value.length <= 60) return JSON.stringify(value);
  return undefined;
}

/** ajv's "must be >= 1" and friends, in words. */
export function limitWords(error: ErrorObject): string | undefined {
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
export function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

export function typeWords(type: string): string {
  return type
    .split(' or ')
    .map((t) =>
      t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`,
    )
    .join(' or ');
}

export function typeHint(type: string, value: unknown, written: string | undefined): string | undefined {
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

export function escapePointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
