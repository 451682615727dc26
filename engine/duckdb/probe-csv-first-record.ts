/**
 * Reads the first record of a CSV file with the pinned dialect, to learn the header names and the
 * number of fields before the real load. DuckDB's sniffer is not used: it fails on ragged files and
 * may pick another dialect. Instead the file is read with padded VARCHAR columns and LIMIT 1, widening
 * the read while the record fills every column (each column costs DuckDB memory, so start narrow).
 *
 * The answer is a candidate only. In this mode DuckDB skips a first record it cannot read (bad
 * encoding, unterminated quote) without a reject, so the load in load-csv.ts checks it against row 0.
 */

import { FerryError } from '../errors/ferry-error.js';
import { compileReadCsv } from './compile-read-csv.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { quoteIdent } from './sql.js';

/** The widest CSV file ferry reads. */
export const MAX_CSV_COLUMNS = 1024;
/** Probe widths; the last is one more than allowed, so a too-wide record shows up as such. */
const PROBE_WIDTHS = [32, 256, MAX_CSV_COLUMNS + 1];

/** Never equal to a real field, so an empty header name reads as '' rather than NULL. */
const NO_NULL = '\u0001ferry-no-null\u0001';

export interface ProbeCsvFirstRecordOptions {
  path: string;
  /** The file as the user knows it (bucket/key), for messages. */
  displayName: string;
  dialect: NormalizedCsvDialect;
  /** Try this delimiter instead of the dialect's. */
  delimiter?: string;
  maxLineBytes?: number;
}

/**
 * The fields of the first readable record, or undefined when DuckDB finds none (an empty file, or a
 * first record that swallowed the file through an unterminated quote). Throws FerryError
 * `CSV_BAD_HEADER` for a record wider than MAX_CSV_COLUMNS.
 */
export async function probeCsvFirstRecord(
  session: DuckDbSession,
  options: ProbeCsvFirstRecordOptions,
): Promise<string[] | undefined> {
  for (const width of PROBE_WIDTHS) {
    const fields = await probeWithWidth(session, options, width);
    if (fields === undefined || fields.length < width) return fields;
  }
  throw new FerryError(
    'CSV_BAD_HEADER',
    `${options.displayName}: the first record has more than ${MAX_CSV_COLUMNS} fields.`,
    {
      context: { file: options.displayName, line: 1 },
      hint: `ferry reads CSV files with at most ${MAX_CSV_COLUMNS} columns; check the delimiter.`,
    },
  );
}

async function probeWithWidth(
  session: DuckDbSession,
  options: ProbeCsvFirstRecordOptions,
  width: number,
): Promise<string[] | undefined> {
  const token = createUniqueToken();
  const rejects = { table: `ferry_probe_rejects_${token}`, scan: `ferry_probe_scans_${token}` };
  const columns = Array.from({ length: width }, (_, i) => `c${i + 1}`);
  const call = compileReadCsv({
    path: options.path,
    dialect: options.dialect,
    columns,
    nullString: NO_NULL,
    probe: true,
    // Later records must not fail the probe: their errors go to a throwaway rejects table.
    rejects,
    ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
  });
  try {
    const [row] = await session.all(`SELECT * FROM ${call} LIMIT 1`);
    if (row === undefined) return undefined;
    const fields: string[] = [];
    for (const name of columns) {
      const value = row[name];
      if (typeof value !== 'string') break;
      fields.push(value);
    }
    return fields;
  } finally {
    await session.run(`DROP TABLE IF EXISTS ${quoteIdent(rejects.table)}`);
    await session.run(`DROP TABLE IF EXISTS ${quoteIdent(rejects.scan)}`);
  }
}
