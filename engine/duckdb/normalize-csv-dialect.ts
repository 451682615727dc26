/**
 * The CSV dialect as configured, checked and put into the one form the SQL compiler uses. Catching a
 * bad dialect here gives a message in ferry's words (which option, which value) instead of a DuckDB
 * binder error, and turns the spellings people write for TAB into a real tab.
 */

import { FerryError } from '../errors/ferry-error.js';
import type { Compression } from './detect-compression.js';

export type CsvEncoding = 'utf-8' | 'latin-1' | 'utf-16';

/** A CSV dialect as the configuration states it. */
export interface CsvDialect {
  /** Field separator, up to 4 bytes. `t`, `\t` (backslash-t) and a literal tab all mean TAB. */
  delimiter: string;
  /** Quote character (one byte), or '' for none. */
  quote: string;
  /** Escape character inside quotes (one byte), or '' for none. Usually the quote itself. */
  escape: string;
  /** Whether the first record holds column names. */
  header: boolean;
  encoding: CsvEncoding;
  /**
   * An unquoted field equal to this is NULL. Default '': an empty unquoted field is NULL, while a quoted
   * empty field ("") stays an empty string.
   */
  nullString?: string;
  compression: Compression;
  /** What an empty or header-only file means: nothing to do (`skip`), or an error (`fail`). */
  emptyFile: 'skip' | 'fail';
}

/** A checked dialect: `delimiter` is the actual character(s), `nullString` is always set. */
export interface NormalizedCsvDialect extends Omit<CsvDialect, 'nullString'> {
  nullString: string;
}

const TAB_SPELLINGS = new Set(['t', '\\t', '\t']);
const MAX_DELIMITER_BYTES = 4;

function badDialect(displayName: string, message: string, hint: string): FerryError {
  return new FerryError('CSV_BAD_DIALECT', `${displayName}: ${message}`, {
    context: { file: displayName },
    hint,
  });
}

/** Checks a dialect and resolves TAB spellings; throws FerryError `CSV_BAD_DIALECT`. */
export function normalizeCsvDialect(dialect: CsvDialect, displayName: string): NormalizedCsvDialect {
  const delimiter = TAB_SPELLINGS.has(dialect.delimiter) ? '\t' : dialect.delimiter;
  const delimiterBytes = Buffer.byteLength(delimiter, 'utf8');
  if (delimiterBytes === 0 || delimiterBytes > MAX_DELIMITER_BYTES) {
    throw badDialect(
      displayName,
      `the CSV delimiter ${JSON.stringify(dialect.delimiter)} must be 1 to ${MAX_DELIMITER_BYTES} bytes.`,
      'Set delimiter to a character such as ",", ";", "|" or "t" (tab).',
    );
  }
  if (/[\r\n]/.test(delimiter)) {
    throw badDialect(
      displayName,
      'the CSV delimiter cannot contain a line break.',
      'Set delimiter to ",", ";", "|" or "t".',
    );
  }
  for (const [name, value] of [
    ['quote', dialect.quote],
    ['escape', dialect.escape],
  ] as const) {
    if (Buffer.byteLength(value, 'utf8') > 1) {
      throw badDialect(
        displayName,
        `the CSV ${name} ${JSON.stringify(value)} must be a single one-byte character or empty.`,
        `Set ${name} to '"', "'" or "\\\\", or to "" for none.`,
      );
    }
  }
  if (dialect.quote !== '' && delimiter.includes(dialect.quote)) {
    throw badDialect(
      displayName,
      'the CSV quote character appears in the delimiter.',
      'Use different characters.',
    );
  }
  return { ...dialect, delimiter, nullString: dialect.nullString ?? '' };
}
