/**
 * The DuckDB type a JSON field is loaded as, and the rule that picks it (documented in README.md,
 * "JSON types"). Pure: the facts come from infer-json-types.ts, which asks DuckDB.
 *
 * What was seen in a place (a top-level key, a key of a nested object, the elements of an array)
 * is a JsonShape. Shapes of different lines merge: null gives way to anything, numbers merge with
 * numbers, objects with objects of the *same* keys, arrays with arrays; anything else is `json`.
 * Then each shape becomes a type:
 *   strings VARCHAR · true/false BOOLEAN · whole numbers BIGINT, or DECIMAL(38,0) past 64 bits, or
 *   JSON past 38 digits · any fraction or exponent DOUBLE, unless a whole number there is past 2^53
 *   or a value is out of DOUBLE's range (then JSON) · objects STRUCT when every object there has the
 *   same keys (none empty, none differing only in case), else JSON · arrays LIST of their elements'
 *   type · only nulls JSON.
 * JSON values are kept as their exact text, so every rule loses nothing: a field that cannot be
 * typed exactly stays JSON. (HUGEINT is avoided: DuckDB writes it to Parquet as DOUBLE.)
 */
import { quoteIdent } from './sql.js';

/** What the lines showed in one place. */
export type JsonShape =
  | { kind: 'null' }
  | { kind: 'json' }
  | { kind: 'boolean' }
  | { kind: 'varchar' }
  | { kind: 'number' }
  | { kind: 'array'; element: JsonShape }
  /** `checkKeys`: inside an array, where DuckDB's structure merges objects: key sets need checking. */
  | { kind: 'object'; fields: ReadonlyMap<string, JsonShape>; checkKeys: boolean };

export type JsonType =
  | { kind: 'varchar' | 'boolean' | 'bigint' | 'decimal' | 'double' | 'json' }
  | { kind: 'list'; element: JsonType }
  | { kind: 'struct'; fields: ReadonlyArray<readonly [string, JsonType]> };

/** Facts about the numbers found in one place. */
export interface JsonNumberFacts {
  /** A value with a fraction or an exponent. */
  real: boolean;
  /** A fractional value out of DOUBLE's range (1e400). */
  realOutOfRange: boolean;
  /** A whole number outside BIGINT. */
  outside64: boolean;
  /** A whole number with more than 38 digits. */
  outside38Digits: boolean;
  /** A whole number beyond ±2^53, which a DOUBLE cannot hold exactly. */
  outside53: boolean;
}

/** One step into a value: a key of an object, or every element of an array. */
export type JsonStep = { key: string } | { each: true };

export interface JsonFacts {
  numbers(path: readonly JsonStep[]): JsonNumberFacts | undefined;
  /** Whether every object in this place has exactly its shape's keys (for `checkKeys` objects). */
  sameKeys(path: readonly JsonStep[]): boolean;
}

/** DuckDB's json_structure() of one value (parsed) as a shape. */
export function parseJsonStructure(structure: unknown, inArray = false): JsonShape {
  if (Array.isArray(structure)) return { kind: 'array', element: parseJsonStructure(structure[0], true) };
  if (structure !== null && typeof structure === 'object') {
    const fields = new Map<string, JsonShape>();
    for (const [key, value] of Object.entries(structure)) fields.set(key, parseJsonStructure(value, inArray));
    return { kind: 'object', fields, checkKeys: inArray };
  }
  switch (structure) {
    case 'NULL':
      return { kind: 'null' };
    case 'BOOLEAN':
      return { kind: 'boolean' };
    case 'VARCHAR':
      return { kind: 'varchar' };
    case 'UBIGINT':
    case 'BIGINT':
    case 'HUGEINT':
    case 'DOUBLE':
      return { kind: 'number' };
    default:
      return { kind: 'json' };
  }
}

function sameKeySet(a: ReadonlyMap<string, JsonShape>, b: ReadonlyMap<string, JsonShape>): boolean {
  return a.size === b.size && [...a.keys()].every((key) => b.has(key));
}

/** The shape of one place over two sets of lines. */
export function mergeJsonShapes(a: JsonShape, b: JsonShape): JsonShape {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'object' && b.kind === 'object') {
    if (!sameKeySet(a.fields, b.fields)) return { kind: 'json' };
    const fields = new Map<string, JsonShape>();
    for (const [key, shape] of a.fields) fields.set(key, mergeJsonShapes(shape, b.fields.get(key) ?? shape));
    return { kind: 'object', fields, checkKeys: a.checkKeys || b.checkKeys };
  }
  if (a.kind === 'array' && b.kind === 'array') {
    return { kind: 'array', element: mergeJsonShapes(a.element, b.element) };
  }
  return a.kind === b.kind ? a : { kind: 'json' };
}

function numberType(facts: JsonNumberFacts | undefined): JsonType {
  if (facts === undefined) return { kind: 'json' };
  if (facts.real) {
    return facts.realOutOfRange || facts.outside53 ? { kind: 'json' } : { kind: 'double' };
  }
  if (facts.outside38Digits) return { kind: 'json' };
  return facts.outside64 ? { kind: 'decimal' } : { kind: 'bigint' };
}

/** STRUCT field names: DuckDB compares them ignoring case and refuses an empty one. */
function usableFieldNames(keys: readonly string[]): boolean {
  const folded = new Set(keys.map((key) => key.replace(/[A-Z]/g, (c) => c.toLowerCase())));
  return folded.size === keys.length && !keys.includes('');
}

/** The type for a shape, following the rule in the module comment. */
export function chooseJsonType(shape: JsonShape, facts: JsonFacts, path: readonly JsonStep[] = []): JsonType {
  switch (shape.kind) {
    case 'null':
    case 'json':
      return { kind: 'json' };
    case 'boolean':
    case 'varchar':
      return { kind: shape.kind };
    case 'number':
      return numberType(facts.numbers(path));
    case 'array':
      return { kind: 'list', element: chooseJsonType(shape.element, facts, [...path, { each: true }]) };
    case 'object': {
      const keys = [...shape.fields.keys()];
      if (!usableFieldNames(keys) || (shape.checkKeys && !facts.sameKeys(path))) return { kind: 'json' };
      return {
        kind: 'struct',
        fields: [...shape.fields].map(([key, field]) => [
          key,
          chooseJsonType(field, facts, [...path, { key }]),
        ]),
      };
    }
  }
}

/** The type as DuckDB SQL, e.g. `STRUCT("x" BIGINT, "tags" VARCHAR[])`. */
export function renderJsonTypeSql(type: JsonType): string {
  switch (type.kind) {
    case 'list':
      return `${renderJsonTypeSql(type.element)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map(([key, field]) => `${quoteIdent(key)} ${renderJsonTypeSql(field)}`).join(', ')})`;
    case 'decimal':
      return 'DECIMAL(38,0)';
    case 'varchar':
    case 'boolean':
    case 'bigint':
    case 'double':
    case 'json':
      return type.kind.toUpperCase();
  }
}

/** The type as a json_transform() structure, e.g. `{"x":"BIGINT","tags":["VARCHAR"]}`. */
export function renderJsonTypeStructure(type: JsonType): string {
  const build = (t: JsonType): unknown => {
    switch (t.kind) {
      case 'list':
        return [build(t.element)];
      case 'struct':
        return Object.fromEntries(t.fields.map(([key, field]) => [key, build(field)]));
      case 'varchar':
      case 'boolean':
      case 'bigint':
      case 'decimal':
      case 'double':
      case 'json':
        return renderJsonTypeSql(t);
    }
  };
  return JSON.stringify(build(type));
}

/** A JSON path to the place (`$."o"[*]."x"`), keys quoted, `\` and `"` escaped. */
export function renderJsonPath(path: readonly JsonStep[]): string {
  return `$${path.map((step) => ('key' in step ? `."${step.key.replace(/[\\"]/g, (c) => `\\${c}`)}"` : '[*]')).join('')}`;
}
