/**
 * What kind of value a DuckDB type name (as DESCRIBE prints it) holds, for the SQL that must treat
 * nested values differently from scalars: CSV cells, the `rest` map, JSON text.
 */

/** `VARCHAR[]`, `STRUCT(a INTEGER)[]`, and fixed-size arrays `INTEGER[3]`. */
export function isListType(type: string): boolean {
  return /\[\d*\]$/.test(type);
}

export function isMapType(type: string): boolean {
  return /^MAP\(/i.test(type);
}

export function isStructType(type: string): boolean {
  return /^STRUCT\(/i.test(type) || /^UNION\(/i.test(type);
}

export function isJsonType(type: string): boolean {
  return /^JSON$/i.test(type);
}

/** Lists, maps, structs and unions: values with parts, which text can only hold as JSON. */
export function isNestedType(type: string): boolean {
  return isListType(type) || isMapType(type) || isStructType(type);
}

/**
 * One value as text: strings as they are, JSON as its JSON text, nested values as JSON, other
 * scalars as DuckDB's text form (`true`, `12.50`, `2024-05-01`).
 */
export function textValueSql(ref: string, type: string): string {
  if (/^VARCHAR$/i.test(type)) return ref;
  if (isNestedType(type)) return `CAST(to_json(${ref}) AS VARCHAR)`;
  return `CAST(${ref} AS VARCHAR)`;
}
