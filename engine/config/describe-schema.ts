/**
 * Hint text read from the schemas themselves: descriptions, examples, the values a `kind` can take,
 * which keys a `dependencies` rule forbids together. Pure functions of a JSON Schema node.
 */
import type { JsonSchema } from './config-schemas.js';

/**
 * The first sentence of a schema description, as a hint. Asides that trace an option to the seed
 * products ("(the seeds' job \"Label\")", "(Vitally …)") help schema readers, not someone fixing a file.
 */
export function describeSchema(schema: JsonSchema | undefined): string | undefined {
  const description = schema?.['description'];
  if (typeof description !== 'string') return undefined;
  const first = (description.split(/(?<=\.)\s/)[0] ?? description).replace(
    /\s*\((?:[^()]*\b(?:seeds?'?|Vitally|Lytics)\b[^()]*)\)/g,
    '',
  );
  return first.length > 200 ? first.slice(0, 197) + '...' : first;
}

export function describeProperty(
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

/** The `const` a property must have (dependency schemas: `pick: {const: sequence}`), as YAML text. */
export function constOf(
  schema: JsonSchema | undefined,
  key: string,
  definitions: Record<string, JsonSchema>,
): string | undefined {
  const properties = schema?.['properties'] as Record<string, JsonSchema> | undefined;
  let property = properties?.[key];
  const ref = property?.['$ref'];
  if (typeof ref === 'string') property = definitions[ref.replace('#/definitions/', '')] ?? property;
  const value = property?.['const'];
  return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
}

export function discriminatorValues(
  schema: JsonSchema | undefined,
  definitions: Record<string, JsonSchema>,
): string[] {
  const oneOf = (schema?.['oneOf'] ?? []) as JsonSchema[];
  return oneOf
    .map((branch) => {
      const ref = branch['$ref'];
      const resolved =
        typeof ref === 'string' ? (definitions[ref.replace('#/definitions/', '')] ?? branch) : branch;
      const properties = resolved['properties'] as Record<string, JsonSchema> | undefined;
      return properties?.['kind']?.['const'];
    })
    .filter((v): v is string => typeof v === 'string');
}

/** Keys a `{required: […]}` / `{anyOf: [{required: […]}, …]}` schema asks for. */
export function requiredKeysIn(schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const record = schema as JsonSchema;
  const own = Array.isArray(record['required']) ? (record['required'] as unknown[]).map(String) : [];
  const nested = Array.isArray(record['anyOf']) ? (record['anyOf'] as unknown[]).flatMap(requiredKeysIn) : [];
  return [...own, ...nested];
}

/** True when the schema's `dependencies` forbid each of `keys` next to the others. */
export function exclusive(schema: JsonSchema | undefined, keys: readonly string[]): boolean {
  const dependencies = schema?.['dependencies'] as Record<string, JsonSchema> | undefined;
  return keys.every((key) => {
    const forbidden = requiredKeysIn(dependencies?.[key]?.['not']);
    return keys.every((other) => other === key || forbidden.includes(other));
  });
}

/** The "Example: …" sentence of a description, as a hint. */
export function exampleFrom(schema: JsonSchema | undefined): string | undefined {
  const description = schema?.['description'];
  if (typeof description !== 'string') return undefined;
  const example = /Example: (.+?)\.?$/.exec(description)?.[1];
  return example !== undefined ? `For example: ${example}.` : undefined;
}
