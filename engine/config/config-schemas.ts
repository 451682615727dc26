/**
 * The JSON Schemas in schemas/ are the configuration contract. They ship with the package and are
 * read once (package assets, not user I/O). Both engine/config and dist/config sit two levels below
 * the package root, so one relative URL serves source and build.
 */
import { readFileSync } from 'node:fs';

export type JsonSchema = Record<string, unknown>;

const cache = new Map<string, JsonSchema>();

export function schemaUrl(name: 'ferry' | 'pipeline'): URL {
  return new URL(`../../schemas/${name}.schema.json`, import.meta.url);
}

export function readConfigSchema(name: 'ferry' | 'pipeline'): JsonSchema {
  let schema = cache.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(schemaUrl(name), 'utf8')) as JsonSchema;
    cache.set(name, schema);
  }
  return schema;
}

/** Every property name marked `x-ferry-secret` (true or "literal-allowed") anywhere in the schema. */
export function collectSecretKeys(schema: JsonSchema): Set<string> {
  const keys = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const properties = record['properties'];
    if (properties && typeof properties === 'object') {
      for (const [key, sub] of Object.entries(properties as Record<string, unknown>)) {
        const marker =
          sub && typeof sub === 'object' ? (sub as Record<string, unknown>)['x-ferry-secret'] : undefined;
        if (marker === true || marker === 'literal-allowed') keys.add(key);
      }
    }
    Object.values(record).forEach(visit);
  };
  visit(schema);
  return keys;
}
