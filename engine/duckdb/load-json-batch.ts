/**
 * Many small NDJSON files (or JSON array files made lines) with one DuckDB read instead of a handful of
 * statements each (1,000 files of one record took 75 s one by one; 1,000 array files 45 s). Each file's lines are checked as load-json.ts checks them
 * (validate-ndjson-file.ts, in Node, from the bytes the fetch step kept when it kept them), and the
 * good lines of every file are appended, in file order, to one file; they are then typed together (the
 * type a field gets is the one unify-json-types.ts would give the run's files loaded one by one) and
 * read into one table, whose rows keep that order: each file's rows are the next `goodRecords` rowids.
 * One file written and read instead of one per file: on this machine's disk, creating, reading and
 * removing a thousand small files cost more than the checks themselves.
 *
 * All or nothing: when any file would fail or warn in a way only the one-file load reports exactly (an
 * empty file under `empty_file: fail`, bad keys, a reject budget exceeded, DuckDB refusing the read or
 * loading another number of rows than the checks counted), nothing is kept and the caller loads every
 * file with load-json.ts, which says what is wrong. Rejected lines go to `keepRejects` only once the
 * batch has succeeded.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
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
  /** The file's bytes as they are on disk, when the fetch step still has them (no second read). */
  bytes?: Buffer;
  /**
   * The file is one JSON value (an array file, its elements made lines: json-array-to-lines.ts), so a
   * line its check rejects fails the file where it is loaded alone: the batch then gives way.
   */
  whole?: boolean;
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
  /** Where its rejected lines are, with their reasons (made at the first reject). */
  rejected: string;
  validation: NdjsonValidation;
}

/** Loads the files together, or returns undefined (nothing kept) when they must be loaded one by one. */
export async function loadJsonBatch(
  session: DuckDbSession,
  files: readonly JsonBatchFile[],
  options: LoadJsonBatchOptions,
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const [first] = files;
  if (first === undefined) return undefined;
  const token = createUniqueToken();
  // Every file's good lines, in file order, beside the fetched files (the run's temp dir).
  const good = nodePath.join(nodePath.dirname(first.path), `.ferry-json-batch-${token}.ndjson`);
  const checked: CheckedFile[] = [];
  const table = `ferry_json_batch_${token}`;
  let keepTable = false;
  let output: FileHandle | undefined;
  try {
    output = await open(good, 'wx');
    for (const file of files) {
      const one = await checkFile(file, { output, token, options });
      if (one === undefined) return undefined;
      checked.push(one);
      if (!passesAlone(file, one.validation, options)) return undefined;
    }
    await output.close();
    output = undefined;
    const loaded = await readTogether(session, checked, { table, token, good, options });
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
    await output?.close();
    if (!keepTable) await session.run(`DROP TABLE IF EXISTS ${q(table)}`);
    for (const c of checked) {
      if (c.validation.rowsRejected > 0) await rm(c.rejected, { force: true });
    }
    await rm(good, { force: true });
  }
}

/**
 * One file's lines checked as load-json.ts checks them, its good lines appended to `output`; undefined
 * when the check itself fails.
 */
async function checkFile(
  file: JsonBatchFile,
  input: { output: FileHandle; token: string; options: LoadJsonBatchOptions },
): Promise<CheckedFile | undefined> {
  const { options } = input;
  const rejected = nodePath.join(
    nodePath.dirname(file.path),
    `.${nodePath.basename(file.path)}.${input.token}.rejects`,
  );
  const validation = await validateNdjsonFile(file.bytes ?? file.path, {
    compression: file.compression,
    output: input.output,
    rejectsPath: rejected,
    maxRecordChars: options.keepRejects.maxRecordChars,
    maxLineBytes: options.maxLineBytes,
    maxDetails: options.maxRejectDetails,
    displayName: file.displayName,
  }).catch(() => undefined);
  if (validation !== undefined) return { file, rejected, validation };
  await rm(rejected, { force: true });
  return undefined;
}

/**
 * The good lines of every file (`good`, in file order) typed together and read into `table`, every
 * good line loaded; per file, what loadJson would have returned.
 */
async function readTogether(
  session: DuckDbSession,
  checked: readonly CheckedFile[],
  input: { table: string; token: string; good: string; options: LoadJsonBatchOptions },
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const { table, good, options } = input;
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
    `read_json(${quoteLiteral(good)}, format = 'newline_delimited', records = 'true', ` +
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
  // The table holds exactly the good lines, in order (preserve_insertion_order): else one by one.
  const [range] = await session.all(
    `SELECT count(*) AS n, min(rowid) AS lo, max(rowid) AS hi FROM ${q(table)}`,
  );
  const rows = Number(range?.['n'] ?? -1);
  const lo = Number(range?.['lo'] ?? -1);
  const expected = withRows.reduce((sum, c) => sum + c.validation.goodRecords, 0);
  if (rows !== expected || Number(range?.['hi'] ?? -1) - lo + 1 !== rows) return undefined;
  const loaded = new Map<number, BatchLoadedJson>();
  let nextRowid = lo;
  for (const { file, validation } of checked) {
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
      const lastRowid = nextRowid + validation.goodRecords - 1;
      result.rows = {
        table,
        fileColumn,
        path: good,
        columns: keys,
        staging: keys,
        firstRowid: nextRowid,
        lastRowid,
      };
      nextRowid = lastRowid + 1;
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
  if (file.whole === true && rowsRejected > 0) return false;
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

/** Text order by UTF-8 bytes, as DuckDB sorts text and validate-ndjson-file.ts sorts keys. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function textOf(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}
