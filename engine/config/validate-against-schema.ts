/**
 * Schema validation with ajv, turned into located problems a person can act on.
 *
 * Union (`kind`) errors come through ajv's discriminator (added to every `kind`-tagged oneOf); the
 * rest of ajv's output is pruned to one error per mistake (prune-schema-errors.ts), and each error
 * becomes a problem in the user's words (schema-error-to-problem.ts).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Document, LineCounter } from 'yaml';
import type { Problem } from '../errors/problem.js';
import type { JsonSchema } from './config-schemas.js';
import { isSecretReference } from './interpolate-references.js';
import { pruneSchemaErrors } from './prune-schema-errors.js';
import { schemaErrorToProblem } from './schema-error-to-problem.js';

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
  /** Document pointers whose `${…}` reference did not resolve (already reported; not checked again). */
  unresolvedPointers?: ReadonlySet<string>;
}

/** Compile a schema (optionally one of its definitions) into a validator. */
export function createSchemaValidator(
  schema: JsonSchema,
  options: { definition?: string } = {},
): SchemaValidator {
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    verbose: true,
    discriminator: true,
    allowUnionTypes: true,
  });
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
  const base = context.basePointer ?? '';
  const unresolved = context.unresolvedPointers;
  const errors = pruneSchemaErrors(validate.errors ?? [], {
    ...(unresolved?.size ? { isUnresolved: (path: string) => unresolved.has(base + path) } : {}),
  });
  return errors.map((error) => schemaErrorToProblem(error, context, base, definitions));
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
      oneOf.every((b) =>
        ((resolve(b as JsonSchema)['required'] as string[] | undefined) ?? []).includes('kind'),
      )
    ) {
      record['discriminator'] = { propertyName: 'kind' };
      if (record['type'] === undefined) record['type'] = 'object';
    }
    Object.values(record).forEach(visit);
  };
  visit(schema);
  return schema;
}
