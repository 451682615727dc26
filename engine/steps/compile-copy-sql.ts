/**
 * Output files as SQL: `COPY (SELECT …) TO 'local path'` per file (one per part). CSV cannot hold
 * lists or maps, so they are encoded as the seed describes — values joined by `&` — reversibly:
 * `%`, `&` and `=` inside values are percent-encoded, map entries are `key=value`, structs are JSON,
 * and so is a list element or map value that is itself an object or a list. A JSON value is
 * written as JSON text, except a string, which is written as its text.
 */
import type { SinkFormat } from '../config/model.js';
import {
  anyTextValueSql,
  isJsonType,
  isListType,
  isMapType,
  isStructType,
  textValueSql,
} from '../duckdb/duckdb-type-kind.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { compileJsonValueSql } from './compile-json-value-sql.js';

export interface ColumnType {
  name: string;
  type: string;
}

export { isListType, isMapType, isStructType };

/**
 * Percent-encode `%` first, then `=` and every character of the list separator (`&` by default), so
 * any separator stays unambiguous.
 */
function encoder(listSeparator: string): (expr: string) => string {
  const special = [...new Set(['=', '&', ...listSeparator])];
  return (expr) =>
    special.reduce(
      (sql, ch) => `replace(${sql}, ${quoteLiteral(ch)}, ${quoteLiteral(percentEncode(ch))})`,
      `replace(${anyTextValueSql(expr)}, '%', '%25')`,
    );
}

function percentEncode(ch: string): string {
  return [...Buffer.from(ch, 'utf8')]
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

/**
 * A list element or map entry part as text, as anyTextValueSql writes it: a string is already its
 * text (no JSON round trip, the costly part of writing a list of strings); other types as there.
 */
export function elementTextSql(ref: string, type: string | undefined): string {
  return type !== undefined && /^VARCHAR$/i.test(type) ? ref : anyTextValueSql(ref);
}

/** The element type of a list of scalars (`VARCHAR[]` → VARCHAR), or undefined. */
export function listElementType(type: string): string | undefined {
  return /^([A-Z ]+)\[\d*\]$/i.exec(type)?.[1];
}

/** Key and value types of a map of scalars (`MAP(VARCHAR, BIGINT)`), or undefined. */
export function mapEntryTypes(type: string): { key: string; value: string } | undefined {
  const match = /^MAP\(([A-Z ]+), ([A-Z ]+)\)$/i.exec(type);
  return match?.[1] && match[2] ? { key: match[1], value: match[2] } : undefined;
}

/** One column as CSV text. */
export function csvColumnExpr(column: ColumnType, listSeparator: string): string {
  const ref = q(column.name);
  const sep = quoteLiteral(listSeparator);
  const enc = encoder(listSeparator);
  // array_to_string skips NULL items, so a NULL item is written as an empty one (the list keeps its
  // length and its items their places) and a NULL map value as `key=` (the entry is kept); an empty
  // list gives '' where a NULL list gives NULL.
  const joined = (items: string) =>
    `coalesce(array_to_string(${items}, ${sep}), CASE WHEN ${ref} IS NOT NULL THEN '' END)`;
  const item = (expr: string) => `coalesce(${enc(expr)}, '')`;
  if (isMapType(column.type)) {
    return `${joined(`list_transform(map_entries(${ref}), _ferry_e -> ${enc('_ferry_e.key')} || '=' || ${item('_ferry_e.value')})`)} AS ${ref}`;
  }
  if (isListType(column.type)) {
    return `${joined(`list_transform(${ref}, _ferry_v -> ${item('_ferry_v')})`)} AS ${ref}`;
  }
  if (isStructType(column.type) || isJsonType(column.type))
    return `${textValueSql(ref, column.type)} AS ${ref}`;
  return ref;
}

/** One column as the JSON and NDJSON writers write it (compile-json-value-sql.ts says how). */
export function jsonColumnExpr(column: ColumnType): string {
  const ref = q(column.name);
  const value = compileJsonValueSql(ref, column.type);
  return value === undefined ? ref : `${value} AS ${ref}`;
}

export function fileExtension(format: SinkFormat['kind'], compress: 'none' | 'gzip' | 'zstd'): string {
  const base = format === 'multi-csv' ? 'csv' : format;
  if (base === 'parquet') return '.parquet';
  return `.${base}${compress === 'gzip' ? '.gz' : compress === 'zstd' ? '.zst' : ''}`;
}

export function compileCopySql(input: {
  /** A table or view name, or `{ sql }`: a query to read the rows from. */
  table: string | { sql: string };
  columns: readonly ColumnType[];
  format: SinkFormat;
  compress: 'none' | 'gzip' | 'zstd';
  orderBy: readonly string[];
  limit?: number;
  offset?: number;
  path: string;
}): string {
  const { format } = input;
  const select =
    format.kind === 'csv'
      ? input.columns.map((c) => csvColumnExpr(c, format.listSeparator)).join(', ')
      : format.kind === 'json' || format.kind === 'ndjson'
        ? input.columns.map(jsonColumnExpr).join(', ')
        : input.columns.map((c) => q(c.name)).join(', ');
  const order = input.orderBy.length ? ` ORDER BY ${input.orderBy.map(q).join(', ')}` : '';
  const window = `${input.limit !== undefined ? ` LIMIT ${input.limit}` : ''}${input.offset ? ` OFFSET ${input.offset}` : ''}`;
  const from = typeof input.table === 'string' ? q(input.table) : `(${input.table.sql})`;
  const query = `SELECT ${select} FROM ${from}${order}${window}`;
  const compression = input.compress === 'none' ? '' : `, COMPRESSION ${quoteLiteral(input.compress)}`;
  let options: string;
  switch (format.kind) {
    case 'csv':
    case 'multi-csv':
      // ESCAPE is the quote itself (a doubled quote, as the source side reads it): DuckDB's default
      // escape is `"` whatever the quote, which a reader with another quote misreads.
      options = `FORMAT csv, HEADER ${format.headers ? 'true' : 'false'}, DELIMITER ${quoteLiteral(format.delimiter)}${
        format.kind === 'csv'
          ? `, QUOTE ${quoteLiteral(format.quote)}, ESCAPE ${quoteLiteral(format.quote)}`
          : ''
      }${compression}`;
      break;
    case 'json':
      options = `FORMAT json, ARRAY true${compression}`;
      break;
    case 'ndjson':
      options = `FORMAT json${compression}`;
      break;
    case 'parquet':
      options = `FORMAT parquet, COMPRESSION ${quoteLiteral(input.compress === 'none' ? 'snappy' : input.compress)}`;
      break;
  }
  return `COPY (${query}) TO ${quoteLiteral(input.path)} (${options})`;
}
