/**
 * A column's value as the JSON and NDJSON writers write it, at every depth (lists, maps, structs):
 * - DOUBLE/FLOAT NaN, Infinity and -Infinity are the strings "NaN", "Infinity" and "-Infinity"
 *   (JSON has no such numbers, and DuckDB would write them bare, which no JSON parser reads; the
 *   strings are the proto3 JSON mapping's, which BigQuery and others read back as floats);
 * - timestamps are RFC 3339 with all their digits (microseconds; nanoseconds for TIMESTAMP_NS), in
 *   UTC with `Z` for TIMESTAMPTZ. DuckDB would write its SQL text form ("2026-01-01 00:00:00+00").
 * Values of other types are left to DuckDB, and a column without such a type anywhere is unchanged.
 */
import { parseColumnType, type ColumnTypeNode } from '../duckdb/parse-column-type.js';
import { quoteLiteral } from '../duckdb/sql.js';

const FLOAT = /^(DOUBLE|FLOAT)$/i;
const TIMESTAMPTZ = /^TIMESTAMP WITH TIME ZONE$/i;
const TIMESTAMP_NS = /^TIMESTAMP_NS$/i;
const TIMESTAMP = /^TIMESTAMP(_S|_MS)?$/i;

/** The column's value for the JSON writer, or undefined when DuckDB's own writing is right. */
export function compileJsonValueSql(ref: string, type: string): string | undefined {
  const node = parseColumnType(type);
  return contains(node, (name) => FLOAT.test(name) || isTimestamp(name)) ? valueSql(ref, node, 0) : undefined;
}

/**
 * How many NaN/±Infinity values the column holds at any depth, as SQL (an integer per row), or
 * undefined when its type holds no DOUBLE or FLOAT: those are the values written as strings.
 */
export function compileNonFiniteCountSql(ref: string, type: string): string | undefined {
  const node = parseColumnType(type);
  return contains(node, (name) => FLOAT.test(name)) ? countSql(ref, node, 0) : undefined;
}

function isTimestamp(name: string): boolean {
  return TIMESTAMPTZ.test(name) || TIMESTAMP_NS.test(name) || TIMESTAMP.test(name);
}

function contains(node: ColumnTypeNode, test: (leaf: string) => boolean): boolean {
  switch (node.kind) {
    case 'leaf':
      return test(node.name);
    case 'list':
      return contains(node.element, test);
    case 'map':
      return contains(node.value, test);
    case 'struct':
      return node.fields.some((f) => contains(f.type, test));
  }
}

/** Lambda parameters are named by depth, so an inner lambda never shadows an outer one. */
function valueSql(ref: string, node: ColumnTypeNode, depth: number): string {
  const v = `_ferry_j${depth}`;
  switch (node.kind) {
    case 'leaf':
      return leafSql(ref, node.name);
    case 'list':
      return `list_transform(${ref}, ${v} -> ${valueSql(v, node.element, depth + 1)})`;
    case 'map':
      return `map_from_entries(list_transform(map_entries(${ref}), ${v} -> {'key': ${v}.key, 'value': ${valueSql(`${v}.value`, node.value, depth + 1)}}))`;
    case 'struct': {
      const fields = node.fields.map(
        (f) =>
          `${quoteLiteral(f.name)}: ${valueSql(`struct_extract(${ref}, ${quoteLiteral(f.name)})`, f.type, depth)}`,
      );
      // A struct literal of a NULL struct's fields would be a struct of NULLs, not NULL.
      return `CASE WHEN ${ref} IS NULL THEN NULL ELSE {${fields.join(', ')}} END`;
    }
  }
}

function leafSql(ref: string, name: string): string {
  if (FLOAT.test(name)) {
    // JSON-typed, so that a number stays a number: the writer embeds JSON values as they are.
    return `CASE WHEN isnan(${ref}) THEN '"NaN"'::JSON WHEN isinf(${ref}) AND ${ref} > 0 THEN '"Infinity"'::JSON WHEN isinf(${ref}) THEN '"-Infinity"'::JSON ELSE to_json(${ref}) END`;
  }
  if (TIMESTAMPTZ.test(name)) return `strftime(timezone('UTC', ${ref}), '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (TIMESTAMP_NS.test(name)) return `strftime(${ref}, '%Y-%m-%dT%H:%M:%S.%n')`;
  if (TIMESTAMP.test(name)) return `strftime(${ref}, '%Y-%m-%dT%H:%M:%S.%f')`;
  return ref;
}

function countSql(ref: string, node: ColumnTypeNode, depth: number): string {
  const v = `_ferry_j${depth}`;
  switch (node.kind) {
    case 'leaf':
      return FLOAT.test(node.name) ? `CASE WHEN isnan(${ref}) OR isinf(${ref}) THEN 1 ELSE 0 END` : '0';
    case 'list':
      return `coalesce(list_sum(list_transform(${ref}, ${v} -> ${countSql(v, node.element, depth + 1)})), 0)`;
    case 'map':
      return `coalesce(list_sum(list_transform(map_values(${ref}), ${v} -> ${countSql(v, node.value, depth + 1)})), 0)`;
    case 'struct': {
      const parts = node.fields
        .filter((f) => contains(f.type, (name) => FLOAT.test(name)))
        .map((f) => countSql(`struct_extract(${ref}, ${quoteLiteral(f.name)})`, f.type, depth));
      return parts.length ? `(${parts.join(' + ')})` : '0';
    }
  }
}
