/**
 * The one ajv set-up for ferry's configuration schemas, shared by the build-time generator of the
 * standalone validators (scripts/generate-schema-validators.ts) and the run-time fallback that
 * compiles a schema whose generated validator is stale (validate-against-schema.ts). Both must agree
 * exactly: the problems a user sees are built from ajv's error objects.
 *
 * Only those two import this module: loading ajv and compiling a schema costs ~0.4 s each, which
 * `ferry validate` does not pay when the generated validators are current.
 */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';
import type { Ajv, KeywordCxt, ValidateFunction } from 'ajv';
import type { JsonSchema } from './config-schemas.js';
import { isSecretReference } from './interpolate-references.js';

// Loaded when an instance is created, not with this module: loading project files must stay
// synchronous, and importing this module must not cost what ajv costs.
const require = createRequire(import.meta.url);

/**
 * An ajv instance with ferry's options and keywords. The keywords are written as code (not as
 * validate functions) so that standalone code can be generated from them; `isSecretReference`
 * appears in that code under its own name, which the generated module imports.
 */
export function createConfigAjv(options: { source?: boolean } = {}): Ajv {
  const { Ajv, _ } = require('ajv') as typeof AjvModule;
  // ajv-formats is published as CommonJS with a default export.
  const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    verbose: true,
    discriminator: true,
    allowUnionTypes: true,
    ...(options.source ? { code: { source: true, esm: true, lines: true } } : {}),
  });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: 'x-ferry-status',
    schemaType: 'string',
    code(cxt: KeywordCxt) {
      // A key that is not supported yet: any value is an error (reported as this keyword).
      if (cxt.schema === 'planned') cxt.fail();
    },
  });
  ajv.addKeyword({
    keyword: 'x-ferry-secret',
    // true: only a single reference is accepted. "literal-allowed" (a webhook url): a literal is
    // accepted too; either way the value is secret (kept unresolved, never shown).
    schemaType: ['boolean', 'string'],
    code(cxt: KeywordCxt) {
      if (cxt.schema !== true) return;
      const isReference = cxt.gen.scopeValue('func', {
        ref: isSecretReference,
        code: _`isSecretReference`,
      });
      cxt.fail(_`typeof ${cxt.data} == "string" && !${isReference}(${cxt.data})`);
    },
  });
  return ajv;
}

/** A schema as ajv compiles it: a copy with a discriminator on every `kind`-tagged oneOf. */
export function prepareConfigSchema(schema: JsonSchema): JsonSchema {
  return addDiscriminators(structuredClone(schema));
}

/** Compiles a prepared schema (optionally one of its definitions) into `ajv` under the key `root`. */
export function compileConfigSchema(
  ajv: Ajv,
  prepared: JsonSchema,
  options: { definition?: string } = {},
): ValidateFunction {
  ajv.addSchema(prepared, 'root');
  const ref = configSchemaRef(options);
  const compiled = ajv.getSchema(ref);
  if (!compiled) throw new Error(`Schema reference ${ref} not found`);
  return compiled;
}

export function configSchemaRef(options: { definition?: string }): string {
  return options.definition ? `root#/definitions/${options.definition}` : 'root';
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
