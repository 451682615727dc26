/**
 * A wrong delimiter does not fail a CSV read: every line becomes one long field and the load
 * "succeeds" with one column. When the first record came out as a single field, try the other common
 * delimiters on it with the same dialect (so a delimiter inside quotes does not count); if one splits
 * it, the configuration is wrong and the error says which delimiter the file seems to use.
 */

import { FerryError } from '../errors/ferry-error.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { probeCsvFirstRecord } from './probe-csv-first-record.js';

const COMMON_DELIMITERS = [',', ';', '|', '\t'];

function describeDelimiter(delimiter: string): string {
  return delimiter === '\t' ? 't (tab)' : JSON.stringify(delimiter);
}

/** Throws FerryError `CSV_WRONG_DELIMITER` if another common delimiter splits the first record. */
export async function checkCsvDelimiter(
  session: DuckDbSession,
  options: { path: string; displayName: string; dialect: NormalizedCsvDialect; maxLineBytes?: number },
): Promise<void> {
  const { dialect, displayName } = options;
  for (const candidate of COMMON_DELIMITERS) {
    if (candidate === dialect.delimiter || candidate === dialect.quote) continue;
    const fields = await probeCsvFirstRecord(session, {
      path: options.path,
      displayName,
      dialect,
      delimiter: candidate,
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    }).catch(() => undefined);
    if (fields !== undefined && fields.length >= 2) {
      throw new FerryError(
        'CSV_WRONG_DELIMITER',
        `${displayName}: with delimiter ${describeDelimiter(dialect.delimiter)} every line is a single column, but the first line splits into ${fields.length} columns on ${describeDelimiter(candidate)}.`,
        {
          context: { file: displayName, delimiter: dialect.delimiter, likelyDelimiter: candidate },
          hint: `Set delimiter: ${describeDelimiter(candidate)} in this source's CSV dialect. If the file really has one column, quote its values.`,
        },
      );
    }
  }
}
