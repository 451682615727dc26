/**
 * A wrong delimiter does not always fail a CSV read the same way: an unquoted file loads "fine" as one
 * long column; a file with quoted fields (`"id";"name"` read with ",") makes the header unreadable
 * (a quote followed by `;`), or DuckDB's reader fails outright. Whenever the first record does not
 * read as expected, ferry tries the other common delimiters on it with the same dialect (so a
 * delimiter inside quotes does not count); if one splits it into columns, the configuration is wrong
 * and the error (CSV_WRONG_DELIMITER) says what was found, on which line, and what to set.
 */

import { FerryError } from '../errors/ferry-error.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { probeCsvFirstRecord } from './probe-csv-first-record.js';

const COMMON_DELIMITERS = [',', ';', '|', '\t'];

export interface CsvDelimiterCheck {
  path: string;
  displayName: string;
  dialect: NormalizedCsvDialect;
  maxLineBytes?: number;
}

function describeDelimiter(delimiter: string): string {
  return delimiter === '\t' ? 't (tab)' : JSON.stringify(delimiter);
}

/** Another common delimiter that splits the first record into 2+ fields, and how many. */
export async function findLikelyDelimiter(
  session: DuckDbSession,
  options: CsvDelimiterCheck,
): Promise<{ delimiter: string; fields: number } | undefined> {
  const { dialect } = options;
  for (const candidate of COMMON_DELIMITERS) {
    if (candidate === dialect.delimiter || candidate === dialect.quote) continue;
    const fields = await probeCsvFirstRecord(session, {
      path: options.path,
      displayName: options.displayName,
      dialect,
      delimiter: candidate,
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    }).catch(() => undefined);
    if (fields !== undefined && fields.length >= 2) return { delimiter: candidate, fields: fields.length };
  }
  return undefined;
}

/**
 * CSV_WRONG_DELIMITER when another delimiter reads the first record, else `otherwise` (the error the
 * caller would have raised). `symptom` says what the configured delimiter gave.
 */
export async function wrongDelimiterOr(
  session: DuckDbSession,
  options: CsvDelimiterCheck & { symptom: string; otherwise: FerryError },
): Promise<FerryError> {
  const likely = await findLikelyDelimiter(session, options).catch(() => undefined);
  if (likely === undefined) return options.otherwise;
  const { dialect, displayName } = options;
  return new FerryError(
    'CSV_WRONG_DELIMITER',
    `${displayName}: with delimiter ${describeDelimiter(dialect.delimiter)} ${options.symptom}, but line 1 splits into ${likely.fields} columns on ${describeDelimiter(likely.delimiter)}.`,
    {
      context: {
        file: displayName,
        line: 1,
        delimiter: dialect.delimiter,
        likelyDelimiter: likely.delimiter,
      },
      cause: options.otherwise,
      hint: `Set delimiter: ${describeDelimiter(likely.delimiter)} in this source's CSV dialect (source.format.delimiter). If the file really uses ${describeDelimiter(dialect.delimiter)}, check its quoting.`,
    },
  );
}

/** Throws FerryError `CSV_WRONG_DELIMITER` if another common delimiter splits a one-column file's first record. */
export async function checkCsvDelimiter(session: DuckDbSession, options: CsvDelimiterCheck): Promise<void> {
  const likely = await findLikelyDelimiter(session, options);
  if (likely === undefined) return;
  const { dialect, displayName } = options;
  throw new FerryError(
    'CSV_WRONG_DELIMITER',
    `${displayName}: with delimiter ${describeDelimiter(dialect.delimiter)} every line is a single column, but line 1 splits into ${likely.fields} columns on ${describeDelimiter(likely.delimiter)}.`,
    {
      context: {
        file: displayName,
        line: 1,
        delimiter: dialect.delimiter,
        likelyDelimiter: likely.delimiter,
      },
      hint: `Set delimiter: ${describeDelimiter(likely.delimiter)} in this source's CSV dialect (source.format.delimiter). If the file really has one column, quote its values.`,
    },
  );
}
