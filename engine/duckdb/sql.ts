/**
 * The only way ferry puts names and values into DuckDB SQL. The node API runs every statement in a
 * string, so an unquoted file name or column header is an injection; these helpers make quoting the
 * default and refuse what DuckDB cannot represent (NUL characters, empty identifiers).
 */

import { FerryError } from '../errors/ferry-error.js';

function assertNoNul(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new FerryError('SQL_INVALID_VALUE', `A ${what} for DuckDB contains a NUL character.`, {
      hint: 'NUL characters cannot appear in DuckDB names or string literals; remove them from the input.',
    });
  }
}

/**
 * Quotes an identifier (table or column name) for DuckDB: wraps it in double quotes and doubles any
 * double quote inside. Case, spaces and unicode are kept as written.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) {
    throw new FerryError('SQL_INVALID_VALUE', 'An identifier for DuckDB is empty.');
  }
  assertNoNul(name, 'name');
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes a string literal for DuckDB: wraps it in single quotes and doubles any single quote inside.
 * Backslashes need no escaping in standard (non-`E''`) strings.
 */
export function quoteLiteral(value: string): string {
  assertNoNul(value, 'string');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quotes a list of strings as a DuckDB list literal, e.g. `['a', 'b''c']`. */
export function quoteStringList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}
