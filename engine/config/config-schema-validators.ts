/**
 * The compiled configuration schemas. Normally ajv's standalone code generated at build time
 * (scripts/generate-schema-validators.ts → *-schema-validator.gen.ts): `ferry validate` then neither
 * loads ajv nor compiles a schema, which took ~0.4 s per schema. When a schema has changed since its
 * code was generated (the fingerprints differ), it is compiled here instead, with the same ajv
 * set-up, so a stale file can slow ferry down but never change what it accepts; the generator's
 * `--check` (CI and test/unit/config/generated-validators.test.ts) keeps them current.
 */
import { createHash } from 'node:crypto';
import { readConfigSchema, type JsonSchema } from './config-schemas.js';
import { compileConfigSchema, createConfigAjv, prepareConfigSchema } from './create-config-ajv.js';
import * as pipelineGenerated from './pipeline-schema-validator.gen.js';
import * as projectGenerated from './project-schema-validator.gen.js';
import type { CompiledSchema } from './validate-against-schema.js';

export type ConfigSchemaName = 'ferry' | 'pipeline';

interface GeneratedValidator {
  SCHEMA_FINGERPRINT: string;
  PREPARED_SCHEMA: JsonSchema;
  validateSchema: CompiledSchema['validate'];
}

const GENERATED: Record<ConfigSchemaName, { module: GeneratedValidator; definition?: string }> = {
  ferry: { module: projectGenerated },
  pipeline: { module: pipelineGenerated, definition: 'pipeline' },
};

/** sha256 of the schema as JSON (the generator computes the same). */
export function fingerprintSchema(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/**
 * The validator of a configuration schema (ferry.schema.json whole, pipeline.schema.json's
 * `pipeline` definition) and the prepared schema its errors point into.
 */
export function compileConfigSchemaValidator(
  name: ConfigSchemaName,
  options: { generated?: boolean } = {},
): CompiledSchema {
  const { module, definition } = GENERATED[name];
  const schema = readConfigSchema(name);
  if (options.generated !== false && module.SCHEMA_FINGERPRINT === fingerprintSchema(schema)) {
    return { validate: module.validateSchema, schema: module.PREPARED_SCHEMA };
  }
  const prepared = prepareConfigSchema(schema);
  const validate = compileConfigSchema(createConfigAjv(), prepared, definition ? { definition } : {});
  return { validate, schema: prepared };
}
