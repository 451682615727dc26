/**
 * The plan model's camelCase keys ⇄ the plan JSON's snake_case keys (one style, as `format_version`).
 * Configuration values inside a config change (`before`, `after`) are data, not model: their keys
 * are kept as they are, both ways.
 */

type Convert = (key: string) => string;

export const toSnakeCase: Convert = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamelCase: Convert = (key) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A config change's values: `configChanges[i].before` / `config_changes[i].after`. */
function isOpaque(path: readonly string[]): boolean {
  const [parent, , key] = path.slice(-3);
  return (parent === 'configChanges' || parent === 'config_changes') && (key === 'before' || key === 'after');
}

function convertKeys(value: unknown, convert: Convert, path: string[]): unknown {
  if (isOpaque(path)) return value;
  if (Array.isArray(value)) return value.map((item, i) => convertKeys(item, convert, [...path, String(i)]));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[convert(key)] = convertKeys(item, convert, [...path, key]);
  }
  return out;
}

/** Model → JSON keys. */
export function snakeCaseKeys(value: unknown): unknown {
  return convertKeys(value, toSnakeCase, []);
}

/** JSON → model keys. */
export function camelCaseKeys(value: unknown): unknown {
  return convertKeys(value, toCamelCase, []);
}
