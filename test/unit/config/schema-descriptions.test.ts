/** Editors show schema descriptions as help: every property of both schemas must have one. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readConfigSchema, type JsonSchema } from '../../../engine/config/config-schemas.js';

function undescribed(schema: JsonSchema): string[] {
  const definitions = (schema['definitions'] ?? {}) as Record<string, JsonSchema>;
  const missing: string[] = [];
  const hasDescription = (node: JsonSchema): boolean => {
    if (typeof node['description'] === 'string' && node['description'].length > 0) return true;
    const ref = node['$ref'];
    return typeof ref === 'string' && hasDescription(definitions[ref.replace('#/definitions/', '')] ?? {});
  };
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const record = node as JsonSchema;
    const properties = record['properties'];
    if (properties && typeof properties === 'object') {
      for (const [key, sub] of Object.entries(properties as Record<string, JsonSchema>)) {
        if (!hasDescription(sub)) missing.push(`${path}.${key}`);
      }
    }
    for (const [key, value] of Object.entries(record)) {
      // Constraint-only subschemas ("exactly one of", "not both") name properties without defining them.
      if (['not', 'anyOf', 'dependencies', 'if', 'then', 'else'].includes(key)) continue;
      visit(value, `${path}/${key}`);
    }
  };
  visit(schema, '#');
  return missing;
}

describe.each(['ferry', 'pipeline'] as const)('%s.schema.json', (name) => {
  it('describes every property', () => {
    expect(undescribed(readConfigSchema(name))).toEqual([]);
  });
});

describe('plan.schema.json', () => {
  it('describes every property', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schemas/plan.schema.json', import.meta.url), 'utf8'),
    ) as JsonSchema;
    expect(undescribed(schema)).toEqual([]);
  });
});
