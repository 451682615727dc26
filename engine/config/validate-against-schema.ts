/**
 * Schema validation with ajv, turned into located problems a person can act on.
 *
 * Union (`kind`) errors come through ajv's discriminator (added to every `kind`-tagged oneOf by
 * create-config-ajv.ts); the rest of ajv's output is pruned to one error per mistake (prune-schema-errors.ts), and each error
 * becomes a problem in the user's words (schema-error-to-problem.ts).
 */
import type { ValidateFunction } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import type { Problem } from '../errors/problem.js';
import type { JsonSchema } from './config-schemas.js';
import { pruneSchemaErrors } from './prune-schema-errors.js';
import { schemaErrorToProblem } from './schema-error-to-problem.js';

/** A compiled schema and the prepared schema (discriminators added) its error objects point into. */
export interface CompiledSchema {
  validate: ValidateFunction;
  schema: JsonSchema;
}

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

/** A validator that reports located problems (config-schema-validators.ts compiles the schemas). */
export function createSchemaValidator(compiled: CompiledSchema): SchemaValidator {
  const definitions = (compiled.schema['definitions'] ?? {}) as Record<string, JsonSchema>;
  return {
    validate(value, context) {
      return runValidation(compiled.validate, value, context, definitions);
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
