/**
 * Finds the DuckDB type of each JSON field over *every* line (not a sample), by the rule in
 * json-type.ts. Two aggregate queries over a relation whose columns hold each field's JSON value:
 *
 * 1. per field: the JSON kinds seen, facts about its numbers, and the distinct structures
 *    (json_structure) of its objects and arrays;
 * 2. only for nested fields: facts about the numbers inside them, and whether the objects inside
 *    arrays all have the same keys (DuckDB's structure of an array merges its objects' keys).
 *
 * Large integers are compared as text and DECIMAL(38,0), never as DOUBLE, so nothing is rounded.
 */
import type { JS } from '@duckdb/node-api';
import type { DuckDbSession } from './create-duckdb-session.js';
import {
  chooseJsonType,
  mergeJsonShapes,
  parseJsonStructure,
  renderJsonPath,
  type JsonFacts,
  type JsonNumberFacts,
  type JsonShape,
  type JsonStep,
  type JsonType,
} from './json-type.js';
import { quoteIdent, quoteLiteral } from './sql.js';

const NUMBER_KINDS = new Set(['UBIGINT', 'BIGINT', 'DOUBLE']);
const SCALAR_KINDS: Readonly<Record<string, JsonShape>> = {
  VARCHAR: { kind: 'varchar' },
  BOOLEAN: { kind: 'boolean' },
};

/**
 * SQL predicates over one JSON number: `text` is its JSON text, `t` its json_type. Integers are
 * compared by their digits (JSON has no leading zeros) and fractions found by `.`/`e`: casts to
 * DECIMAL or UBIGINT and regular expressions were 5-20 times slower. json_type says DOUBLE for an
 * integer past 64 bits, whose text is still its exact digits.
 */
function numberPredicates(text: string, t: string): Record<keyof JsonNumberFacts, string> {
  const digits = `ltrim(${text}, '-')`;
  const longer = (max: string) =>
    `(length(${digits}) >= ${max.length} AND (length(${digits}) > ${max.length} OR ${digits} > '${max}'))`;
  const fraction = `(contains(${text}, '.') OR contains(${text}, 'e') OR contains(${text}, 'E'))`;
  const real = `(${t} = 'DOUBLE' AND ${fraction})`;
  const wholeDouble = `(${t} = 'DOUBLE' AND NOT ${fraction})`;
  return {
    real,
    realOutOfRange: `(${real} AND NOT isfinite(TRY_CAST(${text} AS DOUBLE)))`,
    outside64: `((${t} = 'UBIGINT' AND ${longer('9223372036854775807')}) OR ${wholeDouble})`,
    outside38Digits: `(${wholeDouble} AND length(${digits}) > 38)`,
    outside53: `((${t} IN ('UBIGINT', 'BIGINT') AND ${longer('9007199254740992')}) OR ${wholeDouble})`,
  };
}

const FACT_NAMES: ReadonlyArray<keyof JsonNumberFacts> = [
  'real',
  'realOutOfRange',
  'outside64',
  'outside38Digits',
  'outside53',
];

/** Aggregates `alias_<fact>` over the values of a JSON[] list expression. */
function listNumberAggregates(list: string, alias: string): string[] {
  const predicates = numberPredicates('CAST(_ferry_x AS VARCHAR)', 'json_type(_ferry_x)');
  return FACT_NAMES.map(
    (fact) =>
      `coalesce(bool_or(list_bool_or(list_transform(${list}, _ferry_x -> ${predicates[fact]}))), false) AS ${quoteIdent(`${alias}_${fact}`)}`,
  );
}

function readFacts(row: Record<string, JS>, alias: string): JsonNumberFacts {
  const facts = {} as JsonNumberFacts;
  for (const fact of FACT_NAMES) facts[fact] = row[`${alias}_${fact}`] === true;
  return facts;
}

function pathKey(column: string, path: readonly JsonStep[]): string {
  return JSON.stringify([column, path]);
}

/** Pass 1: kinds, top-level number facts and nested structures of every column. */
async function surveyColumns(
  session: DuckDbSession,
  from: string,
  columns: readonly string[],
): Promise<Array<{ kinds: string[]; numbers: JsonNumberFacts; structures: string[] }>> {
  // v: the value, t: its JSON kind, x: the text of a number (NULL otherwise).
  const inner = columns
    .map((c, i) => {
      const v = quoteIdent(c);
      const t = `json_type(${v})`;
      return `${v} AS v${i}, ${t} AS t${i}, CASE WHEN ${t} IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(${v} AS VARCHAR) END AS x${i}`;
    })
    .join(', ');
  const aggregates = columns.flatMap((_, i) => {
    const predicates = numberPredicates(`x${i}`, `t${i}`);
    return [
      `list(DISTINCT t${i}) FILTER (WHERE t${i} IS NOT NULL AND t${i} <> 'NULL') AS k${i}`,
      ...FACT_NAMES.map((fact) => `coalesce(bool_or(${predicates[fact]}), false) AS "n${i}_${fact}"`),
      `list(DISTINCT CASE WHEN t${i} IN ('OBJECT', 'ARRAY') THEN CAST(json_structure(v${i}) AS VARCHAR) END) AS s${i}`,
    ];
  });
  const [row = {}] = await session.all(`SELECT ${aggregates.join(', ')} FROM (SELECT ${inner} FROM ${from})`);
  return columns.map((_, i) => {
    const kinds = row[`k${i}`];
    const structures = row[`s${i}`];
    return {
      kinds: Array.isArray(kinds) ? kinds.map(String) : [],
      numbers: readFacts(row, `n${i}`),
      structures: Array.isArray(structures) ? structures.filter((s) => typeof s === 'string') : [],
    };
  });
}

function topLevelShape(kinds: readonly string[], structures: readonly string[]): JsonShape {
  if (kinds.length === 0) return { kind: 'null' };
  if (kinds.every((k) => NUMBER_KINDS.has(k))) return { kind: 'number' };
  const [only] = kinds;
  if (kinds.length === 1 && only !== undefined && SCALAR_KINDS[only]) return SCALAR_KINDS[only];
  if (kinds.length === 1 && (only === 'OBJECT' || only === 'ARRAY')) {
    return structures
      .map((s) => parseJsonStructure(JSON.parse(s)))
      .reduce<JsonShape>((a, b) => mergeJsonShapes(a, b), { kind: 'null' });
  }
  return { kind: 'json' };
}

/** The places inside a nested shape that need facts from the data: numbers, and objects in arrays. */
function placesToCheck(shape: JsonShape, path: JsonStep[] = []): Array<{ path: JsonStep[]; keys?: number }> {
  switch (shape.kind) {
    case 'number':
      return path.length ? [{ path }] : [];
    case 'array':
      return placesToCheck(shape.element, [...path, { each: true }]);
    case 'object':
      return [
        ...(shape.checkKeys ? [{ path, keys: shape.fields.size }] : []),
        ...[...shape.fields].flatMap(([key, field]) => placesToCheck(field, [...path, { key }])),
      ];
    case 'null':
    case 'json':
    case 'boolean':
    case 'varchar':
      return [];
  }
}

/**
 * The type of each column of `from` (a relation whose `columns` hold JSON values: one per field),
 * keyed by column name.
 */
export async function inferJsonTypes(
  session: DuckDbSession,
  options: { from: string; columns: readonly string[] },
): Promise<Map<string, JsonType>> {
  const { from, columns } = options;
  const survey = await surveyColumns(session, from, columns);
  const shapes = survey.map((s) => topLevelShape(s.kinds, s.structures));

  // Pass 2: facts inside nested values, one aggregate per place.
  const aggregates: string[] = [];
  const aliases = new Map<string, string>();
  shapes.forEach((shape, i) => {
    const column = quoteIdent(columns[i] ?? '');
    for (const place of placesToCheck(shape)) {
      const alias = `p${aliases.size}`;
      aliases.set(pathKey(columns[i] ?? '', place.path), alias);
      const jsonPath = quoteLiteral(renderJsonPath(place.path));
      const list = place.path.some((step) => 'each' in step)
        ? `json_extract(${column}, ${jsonPath})`
        : `[json_extract(${column}, ${jsonPath})]`;
      aggregates.push(
        ...(place.keys === undefined
          ? listNumberAggregates(list, alias)
          : [
              `coalesce(bool_and(list_bool_and(list_transform(${list}, _ferry_x -> json_type(_ferry_x) <> 'OBJECT' OR len(json_keys(_ferry_x)) = ${place.keys}))), true) AS ${quoteIdent(`${alias}_keys`)}`,
            ]),
      );
    }
  });
  const [nested = {}] = aggregates.length
    ? await session.all(`SELECT ${aggregates.join(', ')} FROM ${from}`)
    : [];

  const types = new Map<string, JsonType>();
  shapes.forEach((shape, i) => {
    const column = columns[i] ?? '';
    const facts: JsonFacts = {
      numbers: (path) => {
        if (path.length === 0) return survey[i]?.numbers;
        const alias = aliases.get(pathKey(column, path));
        return alias === undefined ? undefined : readFacts(nested, alias);
      },
      sameKeys: (path) => {
        const alias = aliases.get(pathKey(column, path));
        return alias !== undefined && nested[`${alias}_keys`] === true;
      },
    };
    types.set(column, chooseJsonType(shape, facts));
  });
  return types;
}
