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
 * One value as text: strings as they are, objects and lists as JSON, other scalars as DuckDB's text
 * form (`true`, `12.50`, `2024-05-01`). A JSON value that is a string is its text (no quotes).
 */
export function textValueSql(ref: string, type: string): string {
  if (/^VARCHAR$/i.test(type)) return ref;
  if (isJsonType(type)) return `json_extract_string(${ref}, '$')`;
  if (isNestedType(type)) return `CAST(to_json(${ref}) AS VARCHAR)`;
  return `CAST(${ref} AS VARCHAR)`;
}

/**
 * A value of a type not known when the SQL is written (a list element, a map value) as text, as
 * textValueSql writes it: strings (also JSON strings) as their text, objects and lists as JSON.
 */
export function anyTextValueSql(ref: string): string {
  return `json_extract_string(to_json(${ref}), '$')`;
}

/**
 * What to cast when a value of `sourceType` is cast to `targetType`: a JSON value goes to a scalar
 * type through its text (a JSON string "5" casts to 5, and "x" to VARCHAR is x, not "x"), and to a
 * list, map or struct as JSON.
 */
export function castInputSql(ref: string, sourceType: string, targetType: string): string {
  return isJsonType(sourceType) && !isNestedType(targetType) ? `json_extract_string(${ref}, '$')` : ref;
}
