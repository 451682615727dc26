/**
 * Loads one vendor JSON file (an array of objects, or NDJSON) into a DuckDB table, one column per
 * top-level key, each typed from every line of the file by the rule in json-type.ts: BIGINT,
 * DOUBLE, BOOLEAN, VARCHAR, STRUCT, LIST, DECIMAL(38,0) for integers past 64 bits, and JSON (exact
 * text) for a field whose type differs between lines in a way no type holds exactly. DuckDB's own
 * inference samples lines and turns large integers into DOUBLE, so it is not used.
 *
 * The format is pinned (`array` / `newline_delimited`, `records='true'`) and `ignore_errors` is never
 * used. NDJSON lines are checked first (validate-ndjson-file.ts): bad lines are rejected with their
 * line numbers and only good lines reach DuckDB, so rows in = loaded + rejected. An array is one JSON
 * value, so a syntax error anywhere fails the file (`JSON_MALFORMED`), and so does an array whose
 * closing `]` is missing (json-array-end.ts: DuckDB takes one cut after a comma). Keys come from a full
 * scan, not a sample, so a key that first appears late is not dropped.
 */

import { rm } from 'node:fs/promises';
import nodePath from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import { assertValidMaxRejects } from './enforce-max-rejects.js';
import type { LoadJsonOptions, LoadJsonResult } from './load-json-options.js';
import { loadRecords, type JsonSource } from './load-json-records.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import { jsonArrayEnd } from './json-array-end.js';
import { jsonArrayNotClosed } from './json-load-errors.js';
import { canValidateNdjson, validateNdjsonFile } from './validate-ndjson-file.js';

export type { LoadJsonOptions, LoadJsonResult } from './load-json-options.js';

/** How many rejects per file loadJson returns in detail by default (all are counted). */
export const DEFAULT_MAX_REJECT_DETAILS = 1000;
/** The longest NDJSON line by default: DuckDB's own object limit. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Loads a JSON array or NDJSON file with typed columns, rejecting malformed NDJSON lines.
 * Throws FerryError: `JSON_MALFORMED`, `JSON_NOT_RECORDS`, `JSON_DUPLICATE_KEY`, `JSON_BAD_KEY`,
 * `JSON_EMPTY_FILE`, `JSON_REJECTS_OVER_LIMIT`, `JSON_READ_FAILED`.
 */
export async function loadJson(session: DuckDbSession, options: LoadJsonOptions): Promise<LoadJsonResult> {
  assertValidMaxRejects(options.maxRejects, 'JSON');
  const { path, displayName, compression } = options;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxObjectBytes = Math.max(maxLineBytes, DEFAULT_MAX_LINE_BYTES);
  if (options.layout === 'array' || !canValidateNdjson(compression)) {
    // Without zstd in this Node, NDJSON goes to DuckDB unchecked: one bad line fails the whole file.
    const format = options.layout === 'array' ? 'array' : 'newline_delimited';
    if (format === 'array' && (await jsonArrayEnd(path, compression).catch(() => undefined)) === 'open') {
      throw await jsonArrayNotClosed(displayName, { path, compression });
    }
    return loadRecords(
      session,
      options,
      { path, format, compression, validated: false, maxObjectBytes },
      [],
      0,
    );
  }

  const goodPath = nodePath.join(
    nodePath.dirname(path),
    `.${nodePath.basename(path)}.${createUniqueToken()}.ndjson`,
  );
  const rejectsPath = options.keepRejects ? `${goodPath}.rejects` : undefined;
  try {
    const validation = await validateNdjsonFile(path, {
      ...(rejectsPath !== undefined && options.keepRejects
        ? { rejectsPath, maxRecordChars: options.keepRejects.maxRecordChars }
        : {}),
      compression,
      output: goodPath,
      maxLineBytes,
      maxDetails: options.maxRejectDetails ?? DEFAULT_MAX_REJECT_DETAILS,
      displayName,
    });
    if (options.keepRejects && rejectsPath !== undefined && validation.rowsRejected > 0) {
      const { into, file } = options.keepRejects;
      await session.run(
        `INSERT INTO ${quoteIdent(into)} SELECT ${quoteLiteral(file)}, line, NULL, 'read', reason || ': ' || detail, record ` +
          `FROM read_json(${quoteLiteral(rejectsPath)}, format = 'newline_delimited', ` +
          `columns = {line: 'BIGINT', reason: 'VARCHAR', detail: 'VARCHAR', record: 'VARCHAR'})`,
      );
    }
    const source: JsonSource = {
      path: goodPath,
      format: 'newline_delimited',
      compression: 'none',
      validated: true,
      maxObjectBytes,
      known: { records: validation.goodRecords, keys: validation.keys },
    };
    const result = await loadRecords(session, options, source, validation.rejects, validation.rowsRejected);
    if (result.tableCreated && result.rowsLoaded !== validation.goodRecords) {
      await session.run(`DROP TABLE IF EXISTS ${quoteIdent(options.table)}`);
      throw new FerryError(
        'JSON_READ_FAILED',
        `${displayName}: DuckDB loaded ${result.rowsLoaded} records but ${validation.goodRecords} lines were valid.`,
        { context: { file: displayName } },
      );
    }
    return result;
  } finally {
    await rm(goodPath, { force: true });
    if (rejectsPath !== undefined) await rm(rejectsPath, { force: true });
  }
}
