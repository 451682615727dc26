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
 * value, so a syntax error anywhere fails the file (`JSON_MALFORMED`). Keys come from a full scan, not
 * a sample, so a key that first appears late is not dropped.
 */

import { rm } from 'node:fs/promises';
import nodePath from 'node:path';
import type { JS } from '@duckdb/node-api';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import { duckDbCompression, type Compression } from './detect-compression.js';
import { assertValidMaxRejects, enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import { checkJsonKeys } from './check-json-keys.js';
import { inferJsonTypes } from './infer-json-types.js';
import { renderJsonTypeSql } from './json-type.js';
import { locateJsonSyntaxError } from './locate-json-syntax-error.js';
import { canValidateNdjson, validateNdjsonFile, type JsonReject } from './validate-ndjson-file.js';

export interface LoadJsonOptions {
  /** Local file inside the session's temp dir. */
  path: string;
  /** Table to create; it must not exist. */
  table: string;
  layout: 'array' | 'ndjson';
  compression: Compression;
  /** The file as the user knows it (e.g. `s3://bucket/key`), for messages. */
  displayName: string;
  /** An empty file (no records): return `empty: true` (`skip`, default) or throw `JSON_EMPTY_FILE`. */
  emptyFile?: 'skip' | 'fail';
  /** Fail with `JSON_REJECTS_OVER_LIMIT` above this many rejected lines (NDJSON). */
  maxRejects?: MaxRejects;
  /**
   * Also copy every rejected NDJSON line into this table (file, line, row, step, reason, record),
   * before max_rejects is enforced, so a file that fails still leaves its bad lines behind.
   */
  keepRejects?: { into: string; file: string; maxRecordChars: number };
  /** How many rejects to return in detail (all are counted). Default 1000. */
  maxRejectDetails?: number;
  /** Longest NDJSON line in bytes; longer ones are rejected. Default 16 MiB (DuckDB's object limit). */
  maxLineBytes?: number;
}

export interface LoadJsonResult {
  /** The table's name; see `tableCreated`. */
  table: string;
  /** False when the file is empty or every record was rejected: there is no table then. */
  tableCreated: boolean;
  /** Top-level keys, sorted. */
  columns: string[];
  /** Each column's DuckDB type, by the rule in json-type.ts (e.g. BIGINT, VARCHAR[], JSON). */
  columnTypes: Record<string, string>;
  rowsLoaded: number;
  rowsRejected: number;
  rejects: JsonReject[];
  /** True when the file holds no records (policy `skip`); no table was created. */
  empty: boolean;
}

const DEFAULT_MAX_REJECT_DETAILS = 1000;
const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

interface JsonSource {
  path: string;
  format: 'array' | 'newline_delimited';
  compression: Compression;
  /** Whether ferry already checked every record (validated NDJSON). */
  validated: boolean;
  /** DuckDB `maximum_object_size`: at least its default, and at least the line cap. */
  maxObjectBytes: number;
}

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
      outputPath: goodPath,
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

function readJsonSql(source: JsonSource, records: 'true' | 'false', columns: string): string {
  const options = [
    quoteLiteral(source.path),
    `format = ${quoteLiteral(source.format)}`,
    `records = ${quoteLiteral(records)}`,
    `compression = ${quoteLiteral(duckDbCompression(source.compression))}`,
    `maximum_object_size = ${source.maxObjectBytes}`,
    `columns = {${columns}}`,
  ];
  return `read_json(${options.join(', ')})`;
}

function textOf(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}

function toNumber(value: JS | undefined): number {
  return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : 0;
}

async function loadRecords(
  session: DuckDbSession,
  options: LoadJsonOptions,
  source: JsonSource,
  rejects: JsonReject[],
  rowsRejected: number,
): Promise<LoadJsonResult> {
  const { displayName, table } = options;
  const raw = readJsonSql(source, 'false', `'json': 'JSON'`);
  const stats = await session
    .all(
      `SELECT count(*) AS records,
         count(*) FILTER (WHERE json_type(json) IS DISTINCT FROM 'OBJECT') AS non_objects,
         count(*) FILTER (WHERE len(json_keys(json)) <> len(list_distinct(json_keys(json)))) AS repeated_key_records,
         list_sort(list_distinct(flatten(list(DISTINCT json_keys(json))))) AS keys
       FROM ${raw}`,
    )
    .catch(async (error: unknown) => {
      throw source.validated ? readFailed(error, displayName) : await malformed(error, options, source);
    });
  const row = stats[0] ?? {};
  const records = toNumber(row['records']);
  const keysValue = row['keys'];
  const keys = Array.isArray(keysValue) ? keysValue.map(String) : [];

  if (toNumber(row['non_objects']) > 0) {
    throw new FerryError(
      'JSON_NOT_RECORDS',
      `${displayName}: ${toNumber(row['non_objects'])} of ${records} top-level values are not JSON objects.`,
      {
        context: { file: displayName, values: toNumber(row['non_objects']) },
        hint: 'ferry loads a JSON array of objects or NDJSON with one object per line; check the layout setting.',
      },
    );
  }
  if (records === 0 && rowsRejected === 0) {
    if (options.emptyFile === 'fail') {
      throw new FerryError('JSON_EMPTY_FILE', `${displayName} holds no records.`, {
        context: { file: displayName },
        hint: 'Set source.format.empty_file: skip if an empty file is normal for this source.',
      });
    }
    return {
      table,
      tableCreated: false,
      columns: [],
      columnTypes: {},
      rowsLoaded: 0,
      rowsRejected: 0,
      rejects: [],
      empty: true,
    };
  }
  checkJsonKeys(keys, toNumber(row['repeated_key_records']), displayName);

  if (records === 0) {
    // Every line was rejected: no keys are known, and DuckDB has no zero-column tables.
    enforceMaxRejects({
      format: 'JSON',
      displayName,
      rowsLoaded: 0,
      rowsRejected,
      maxRejects: options.maxRejects,
    });
    return {
      table,
      tableCreated: false,
      columns: [],
      columnTypes: {},
      rowsLoaded: 0,
      rowsRejected,
      rejects,
      empty: false,
    };
  }
  if (keys.length === 0) {
    throw new FerryError('JSON_BAD_KEY', `${displayName}: the records have no keys at all.`, {
      context: { file: displayName },
    });
  }

  const target = quoteIdent(table);
  const failed = async (error: unknown): Promise<never> => {
    throw source.validated ? readFailed(error, displayName) : await malformed(error, options, source);
  };
  const asJson = keys.map((key) => `${quoteLiteral(key)}: 'JSON'`).join(', ');
  const types = await inferJsonTypes(session, {
    from: readJsonSql(source, 'true', asJson),
    columns: keys,
  }).catch(failed);
  const columns = keys.map((key) => {
    const type = types.get(key);
    return `${quoteLiteral(key)}: ${quoteLiteral(type === undefined ? 'JSON' : renderJsonTypeSql(type))}`;
  });
  await session
    .run(`CREATE TABLE ${target} AS SELECT * FROM ${readJsonSql(source, 'true', columns.join(', '))}`)
    .catch(failed);
  try {
    // DuckDB's own spelling of each type (as DESCRIBE shows it everywhere else).
    const columnTypes = Object.fromEntries(
      (await session.all(`DESCRIBE ${target}`)).map((r) => [
        textOf(r['column_name']),
        textOf(r['column_type']),
      ]),
    );
    const [count] = await session.all(`SELECT count(*) AS n FROM ${target}`);
    const rowsLoaded = toNumber(count?.['n']);
    enforceMaxRejects({
      format: 'JSON',
      displayName,
      rowsLoaded,
      rowsRejected,
      maxRejects: options.maxRejects,
    });
    return {
      table,
      tableCreated: true,
      columns: keys,
      columnTypes,
      rowsLoaded,
      rowsRejected,
      rejects,
      empty: false,
    };
  } catch (error) {
    await session.run(`DROP TABLE IF EXISTS ${target}`);
    throw error;
  }
}

function readFailed(error: unknown, displayName: string): FerryError {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  return new FerryError('JSON_READ_FAILED', `${displayName} could not be loaded.`, {
    context: { file: displayName },
    cause: error,
  });
}

/** A JSON file DuckDB could not parse: name the line and column when ferry can find them. */
async function malformed(error: unknown, options: LoadJsonOptions, source: JsonSource): Promise<FerryError> {
  if (isFerryError(error) && error.code !== 'DUCKDB_ERROR') return error;
  const { displayName } = options;
  const position =
    source.format === 'array' ? await locateJsonSyntaxError(source.path, source.compression) : undefined;
  return new FerryError(
    'JSON_MALFORMED',
    `${displayName} is not valid JSON${position === undefined ? '' : ` (line ${position.line}, column ${position.column})`}.`,
    {
      context: { file: displayName, ...position },
      cause: error,
      hint:
        source.format === 'array'
          ? 'The file must be one JSON array of objects; if it has one object per line, set layout: ndjson.'
          : 'Fix the line in the vendor file.',
    },
  );
}
