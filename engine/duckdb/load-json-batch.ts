/**
 * Many small NDJSON files with one DuckDB read instead of a handful of statements each (1,000 files of
 * one record took 75 s one by one). Each file's lines are checked as load-json.ts checks them
 * (validate-ndjson-file.ts, in Node); the good lines of every file are then typed together (the type a
 * field gets is the one unify-json-types.ts would give the run's files loaded one by one) and read into
 * one table with a file-name column, whose rows keep file order.
 *
 * All or nothing: when any file would fail or warn in a way only the one-file load reports exactly (an
 * empty file under `empty_file: fail`, bad keys, a reject budget exceeded, DuckDB refusing the read,
 * rows not in file order), nothing is kept and the caller loads every file with load-json.ts, which
 * says what is wrong. Rejected lines go to `keepRejects` only once the batch has succeeded.
 */
import { rm } from 'node:fs/promises';
import type { JS } from '@duckdb/node-api';
import nodePath from 'node:path';
import type { BatchedRows } from './batch-source-sql.js';
import { checkJsonKeys } from './check-json-keys.js';
import type { DuckDbSession } from './create-duckdb-session.js';
import { createUniqueToken } from './create-unique-token.js';
import { duckDbCompression, type Compression } from './detect-compression.js';
import { enforceMaxRejects, type MaxRejects } from './enforce-max-rejects.js';
import { inferJsonTypes } from './infer-json-types.js';
import { renderJsonTypeSql } from './json-type.js';
import type { LoadJsonResult } from './load-json-options.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';
import { validateNdjsonFile, type NdjsonValidation } from './validate-ndjson-file.js';

export interface JsonBatchFile {
  /** The file's place in the run's list. */
  index: number;
  path: string;
  compression: Compression;
  /** The object key, as rejected rows name their file. */
  key: string;
  /** The file as the user knows it (`s3://bucket/key`), for messages. */
  displayName: string;
}

export interface LoadJsonBatchOptions {
  emptyFile: 'skip' | 'fail';
  maxRejects?: MaxRejects;
  keepRejects: { into: string; maxRecordChars: number };
  /** How many rejects per file to return in detail (all are counted). */
  maxRejectDetails: number;
  maxLineBytes: number;
}

/** A file of the batch: what loadJson would have said of it, and its rows when it has some. */
export interface BatchLoadedJson extends LoadJsonResult {
  rows?: BatchedRows;
}

const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

interface CheckedFile {
  file: JsonBatchFile;
  /** The file's good lines (NDJSON), and its rejected ones with their reasons. */
  good: string;
  rejected: string;
  validation: NdjsonValidation;
}

/** Loads the files together, or returns undefined (nothing kept) when they must be loaded one by one. */
export async function loadJsonBatch(
  session: DuckDbSession,
  files: readonly JsonBatchFile[],
  options: LoadJsonBatchOptions,
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const token = createUniqueToken();
  const checked: CheckedFile[] = [];
  const table = `ferry_json_batch_${token}`;
  let keepTable = false;
  try {
    for (const file of files) {
      const one = await checkFile(file, token, options);
      if (one === undefined) return undefined;
      checked.push(one);
      if (!passesAlone(file, one.validation, options)) return undefined;
    }
    const loaded = await readTogether(session, checked, { table, token, options });
    if (loaded === undefined) return undefined;
    for (const { file, rejected, validation } of checked) {
      if (validation.rowsRejected === 0) continue;
      await session.run(
        `INSERT INTO ${q(options.keepRejects.into)} SELECT ${quoteLiteral(file.key)}, line, NULL, 'read', reason || ': ' || detail, record ` +
          `FROM read_json(${quoteLiteral(rejected)}, format = 'newline_delimited', ` +
          `columns = {line: 'BIGINT', reason: 'VARCHAR', detail: 'VARCHAR', record: 'VARCHAR'})`,
      );
    }
    keepTable = true;
    return loaded;
  } finally {
    if (!keepTable) await session.run(`DROP TABLE IF EXISTS ${q(table)}`);
    for (const c of checked) {
      await rm(c.rejected, { force: true });
      await rm(c.good, { force: true });
    }
  }
}

/** One file's lines checked as load-json.ts checks them; undefined when the check itself fails. */
async function checkFile(
  file: JsonBatchFile,
  token: string,
  options: LoadJsonBatchOptions,
): Promise<CheckedFile | undefined> {
  const good = nodePath.join(nodePath.dirname(file.path), `.${nodePath.basename(file.path)}.${token}.ndjson`);
  const rejected = `${good}.rejects`;
  const validation = await validateNdjsonFile(file.path, {
    compression: file.compression,
    outputPath: good,
    rejectsPath: rejected,
    maxRecordChars: options.keepRejects.maxRecordChars,
    maxLineBytes: options.maxLineBytes,
    maxDetails: options.maxRejectDetails,
    displayName: file.displayName,
  }).catch(() => undefined);
  if (validation !== undefined) return { file, good, rejected, validation };
  await rm(good, { force: true });
  await rm(rejected, { force: true });
  return undefined;
}

/**
 * The good lines of every file typed together and read into `table`, each file's rows checked to be
 * together, in file order and all there; per file, what loadJson would have returned.
 */
async function readTogether(
  session: DuckDbSession,
  checked: readonly CheckedFile[],
  input: { table: string; token: string; options: LoadJsonBatchOptions },
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const { table, options } = input;
  const withRows = checked.filter((c) => c.validation.goodRecords > 0);
  if (withRows.length === 0) return undefined;
  const keys = [...new Set(withRows.flatMap((c) => c.validation.keys))].sort(compareUtf8);
  // Keys that differ only in case across files are one column to DuckDB: the one-file loads say so.
  try {
    checkJsonKeys(keys, 0, '');
  } catch {
    return undefined;
  }
  const fileColumn = `ferry_${input.token}_file`;
  const read = (columns: string) =>
    `read_json([${withRows.map((c) => quoteLiteral(c.good)).join(', ')}], format = 'newline_delimited', records = 'true', ` +
    `compression = ${quoteLiteral(duckDbCompression('none'))}, maximum_object_size = ${Math.max(options.maxLineBytes, DEFAULT_MAX_OBJECT_BYTES)}, ` +
    `filename = ${quoteLiteral(fileColumn)}, columns = {${columns}})`;
  const types = await inferJsonTypes(session, {
    from: read(keys.map((k) => `${quoteLiteral(k)}: 'JSON'`).join(', ')),
    columns: keys,
  }).catch(() => undefined);
  if (types === undefined) return undefined;
  const typed = keys.map((k) => {
    const type = types.get(k);
    return `${quoteLiteral(k)}: ${quoteLiteral(type === undefined ? 'JSON' : renderJsonTypeSql(type))}`;
  });
  const created = await session
    .run(`CREATE TABLE ${q(table)} AS SELECT * FROM ${read(typed.join(', '))}`)
    .then(() => true)
    .catch(() => false);
  if (!created) return undefined;
  const described = await session.all(`DESCRIBE ${q(table)}`);
  const columnTypes = Object.fromEntries(
    described.map((r) => [textOf(r['column_name']), textOf(r['column_type'])]),
  );
  const ranges = await fileRanges(session, table, fileColumn);
  const loaded = new Map<number, BatchLoadedJson>();
  let lastRowid = -1;
  for (const { file, good, validation } of checked) {
    const hasRows = validation.goodRecords > 0;
    const result: BatchLoadedJson = {
      table,
      tableCreated: hasRows,
      columns: hasRows ? validation.keys : [],
      columnTypes: Object.fromEntries(validation.keys.map((k) => [k, columnTypes[k] ?? 'JSON'])),
      rowsLoaded: validation.goodRecords,
      rowsRejected: validation.rowsRejected,
      rejects: validation.rejects,
      empty: !hasRows && validation.rowsRejected === 0,
    };
    if (hasRows) {
      const range = ranges.get(good);
      // Each file's rows together and in file order, every good line loaded: else one by one.
      if (range === undefined || range.lo <= lastRowid || range.rows !== validation.goodRecords)
        return undefined;
      if (range.hi - range.lo + 1 !== range.rows) return undefined;
      lastRowid = range.hi;
      result.rows = { table, fileColumn, path: good, columns: keys, staging: keys, firstRowid: range.lo };
    }
    loaded.set(file.index, result);
  }
  return loaded;
}

/** Whether the one-file load would take this file without an error (else the batch gives way). */
function passesAlone(
  file: JsonBatchFile,
  validation: NdjsonValidation,
  options: LoadJsonBatchOptions,
): boolean {
  const { goodRecords, rowsRejected, keys, rejects } = validation;
  if (goodRecords === 0 && rowsRejected === 0) return options.emptyFile === 'skip';
  try {
    if (goodRecords > 0) {
      checkJsonKeys(keys, 0, file.displayName);
      if (keys.length === 0) return false;
    }
    enforceMaxRejects({
      format: 'JSON',
      displayName: file.displayName,
      rowsLoaded: goodRecords,
      rowsRejected,
      maxRejects: options.maxRejects,
      rejects,
    });
    return true;
  } catch {
    return false;
  }
}

/** Per file path: row count, first and last rowid. */
async function fileRanges(
  session: DuckDbSession,
  table: string,
  fileColumn: string,
): Promise<Map<string, { rows: number; lo: number; hi: number }>> {
  const rows = await session.all(
    `SELECT ${q(fileColumn)} AS path, count(*) AS n, min(rowid) AS lo, max(rowid) AS hi FROM ${q(table)} GROUP BY ALL`,
  );
  return new Map(
    rows.map((r) => [textOf(r['path']), { rows: Number(r['n']), lo: Number(r['lo']), hi: Number(r['hi']) }]),
  );
}

/** Text order by UTF-8 bytes, as DuckDB sorts text and validate-ndjson-file.ts sorts keys. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function textOf(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}
