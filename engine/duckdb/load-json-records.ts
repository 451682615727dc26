/**
 * The records of one JSON file into a typed table: count them and check their keys (unless the
 * NDJSON check already did), type every column over all records (infer-json-types.ts), create the
 * table with `read_json` and those types, and enforce the reject budget. On any error no table is
 * left behind.
 */
import type { JS } from '@duckdb/node-api';
import { FerryError } from '../errors/ferry-error.js';
import { checkJsonKeys } from './check-json-keys.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { duckDbCompression, type Compression } from './detect-compression.js';
import { enforceMaxRejects } from './enforce-max-rejects.js';
import { inferJsonTypes } from './infer-json-types.js';
import { jsonMalformed, jsonReadFailed } from './json-load-errors.js';
import { renderJsonTypeSql } from './json-type.js';
import type { LoadJsonOptions, LoadJsonResult } from './load-json-options.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import type { JsonReject } from './validate-ndjson-file.js';

export interface JsonSource {
  path: string;
  format: 'array' | 'newline_delimited';
  compression: Compression;
  /** Whether ferry already checked every record (validated NDJSON). */
  validated: boolean;
  /** DuckDB `maximum_object_size`: at least its default, and at least the line cap. */
  maxObjectBytes: number;
  /** What the NDJSON check already counted (records, top-level keys): no survey pass is needed. */
  known?: { records: number; keys: string[] };
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

/** A result without a table: an empty file, or every record rejected. */
function noTable(
  table: string,
  outcome: Pick<LoadJsonResult, 'rowsRejected' | 'rejects' | 'empty'>,
): LoadJsonResult {
  return { table, tableCreated: false, columns: [], columnTypes: {}, rowsLoaded: 0, ...outcome };
}

function textOf(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}

function toNumber(value: JS | undefined): number {
  return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : 0;
}

export async function loadRecords(
  session: DuckDbSession,
  options: LoadJsonOptions,
  source: JsonSource,
  rejects: JsonReject[],
  rowsRejected: number,
): Promise<LoadJsonResult> {
  const { displayName, table } = options;
  const row = source.known
    ? { records: source.known.records, non_objects: 0, repeated_key_records: 0, keys: source.known.keys }
    : await surveyRecords(session, options, source);
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
    return noTable(table, { rowsRejected: 0, rejects: [], empty: true });
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
      rejects,
    });
    return noTable(table, { rowsRejected, rejects, empty: false });
  }
  if (keys.length === 0) {
    throw new FerryError('JSON_BAD_KEY', `${displayName}: the records have no keys at all.`, {
      context: { file: displayName },
    });
  }

  const columnTypes = await createTypedTable(session, options, source, keys);
  const target = quoteIdent(table);
  try {
    const [count] = await session.all(`SELECT count(*) AS n FROM ${target}`);
    const rowsLoaded = toNumber(count?.['n']);
    enforceMaxRejects({
      format: 'JSON',
      displayName,
      rowsLoaded,
      rowsRejected,
      maxRejects: options.maxRejects,
      rejects,
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

/**
 * Types the columns over every record (infer-json-types.ts) and creates the table with them; returns
 * each column's type as DuckDB spells it. The table does not exist when this throws.
 */
async function createTypedTable(
  session: DuckDbSession,
  options: LoadJsonOptions,
  source: JsonSource,
  keys: readonly string[],
): Promise<Record<string, string>> {
  const { displayName } = options;
  const target = quoteIdent(options.table);
  const failed = async (error: unknown): Promise<never> => {
    if (source.known) {
      // The NDJSON check cannot see a key repeated within an object (JSON.parse keeps the last);
      // DuckDB refuses one: find out whether that is why.
      const survey = await surveyRecords(session, options, source).catch(() => undefined);
      checkJsonKeys(keys, toNumber(survey?.['repeated_key_records']), displayName);
    }
    throw source.validated
      ? jsonReadFailed(error, displayName)
      : await jsonMalformed(error, displayName, source);
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
    const described = await session.all(`DESCRIBE ${target}`);
    return Object.fromEntries(described.map((r) => [textOf(r['column_name']), textOf(r['column_type'])]));
  } catch (error) {
    await session.run(`DROP TABLE IF EXISTS ${target}`);
    throw error;
  }
}

/** One pass over the raw records: how many, how many are not objects, repeated keys, all keys. */
async function surveyRecords(
  session: DuckDbSession,
  options: LoadJsonOptions,
  source: JsonSource,
): Promise<Record<string, JS>> {
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
      throw source.validated
        ? jsonReadFailed(error, options.displayName)
        : await jsonMalformed(error, options.displayName, source);
    });
  return stats[0] ?? {};
}
