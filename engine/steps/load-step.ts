/**
 * load: each fetched file into DuckDB with the configured dialect pinned (never sniffed), rejects
 * kept with file, line and reason, then all files into one `source` table with the file name and
 * a run-wide row number (file order, then record order) for traceability and deterministic output.
 */
import { detectCompression } from '../duckdb/detect-compression.js';
import { compileBatchSourceSql, type BatchedRows } from '../duckdb/batch-source-sql.js';
import { keepBatchRejects } from '../duckdb/load-csv-batch.js';
import { rejectsOverLimit } from '../duckdb/enforce-max-rejects.js';
import { loadCsv } from '../duckdb/load-csv.js';
import { loadJson } from '../duckdb/load-json.js';
import { loadParquet } from '../duckdb/load-parquet.js';
import { unifyJsonTypes } from '../duckdb/unify-json-types.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import type { LoadStep } from '../plan/plan-model.js';
import { FILE_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { MAX_RECORD_CHARS, REJECTED_ROWS_TABLE } from './rejected-rows.js';
import { loadCsvFilesTogether } from './load-csv-files-together.js';
import { loadJsonFilesTogether } from './load-json-files-together.js';
import { loadParquetFilesTogether } from './load-parquet-files-together.js';
import { createSourceRelation } from './create-source-relation.js';
import { csvCopyWarnings } from './csv-copy-warnings.js';
import { writeFetchedFile } from './fetch-step.js';
import { prefetchDatasetVersion } from './prefetch-dataset-version.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type LoadedFile, type StepContext } from './step-context.js';

export interface LoadStepOptions {
  /**
   * Load small CSV files that share a header with one DuckDB read (load-csv-files-together.ts).
   * Default true; false loads every file on its own (the reference the batch path is tested against).
   */
  together?: boolean;
}

export async function executeLoadStep(
  context: StepContext,
  step: LoadStep,
  options: LoadStepOptions = {},
): Promise<void> {
  const source = context.pipeline.source;
  if (source.kind !== 's3') throw new Error('load step needs an s3 source');
  // The dataset this run merges into is fetched and checked while DuckDB loads the source.
  if (context.fetched.length > 0) prefetchDatasetVersion(context);
  const parts: Array<{
    table: string;
    key: string;
    rows: number;
    columnTypes: Record<string, string>;
    batch?: BatchedRows;
  }> = [];
  const columns: string[] = [];
  // Small CSV files that share a header, a run of small NDJSON files, or small Parquet files with one
  // schema: one DuckDB read for all (load-*-files-together.ts); the others one by one, as before.
  const together = options.together !== false;
  const batch = together ? await loadCsvFilesTogether(context) : undefined;
  const jsonBatch = together ? await loadJsonFilesTogether(context) : undefined;
  const parquetBatch = together ? await loadParquetFilesTogether(context) : undefined;
  // The bytes the fetch step kept for that scan are not needed again, once a file the fetch step left
  // in memory only and no batch took is on disk for its one-file load.
  for (const [index, file] of context.fetched.entries()) {
    if (batch?.get(index) === undefined && jsonBatch?.get(index) === undefined) {
      await writeFetchedFile(context, file);
    }
    delete file.bytes;
  }
  for (const [index, file] of context.fetched.entries()) {
    const key = file.candidate.key;
    const displayName = formatS3Uri(source.bucket, key);
    const table = `raw_${index}`;
    // The compression is decided once: with a batched CSV file's group, by the fetch step (CSV and
    // JSON) or by the JSON and Parquet batch paths; only a file none of them decided is opened here.
    const batched = batch?.get(index);
    const compression =
      batched?.compression ??
      file.compression ??
      (await detectCompression(file.path, { declared: source.compression, key })).compression;
    const format = source.format;
    let loaded: {
      tableCreated: boolean;
      columns: string[];
      columnTypes?: Record<string, string>;
      rowsLoaded: number;
      rowsRejected: number;
    };
    let records: LoadedFile['records'];
    switch (format.kind) {
      case 'csv': {
        if (batched !== undefined) {
          await keepBatchRejects(context.session, batched, {
            into: REJECTED_ROWS_TABLE,
            file: key,
            maxRecordChars: MAX_RECORD_CHARS,
            header: format.header,
          });
        }
        const result = batched
          ? { ...batched, tableCreated: true }
          : await loadCsv(context.session, {
              path: file.path,
              table,
              displayName,
              dialect: {
                delimiter: format.delimiter,
                quote: format.quote,
                escape: format.escape,
                header: format.header,
                encoding: format.encoding,
                ...(format.nullString !== undefined ? { nullString: format.nullString } : {}),
                compression,
                emptyFile: format.emptyFile,
              },
              maxRejects: format.maxRejects,
              ...(format.columns ? { columns: format.columns } : {}),
              ...(format.maxLineBytes !== undefined ? { maxLineBytes: format.maxLineBytes } : {}),
              keepRejects: { into: REJECTED_ROWS_TABLE, file: key, maxRecordChars: MAX_RECORD_CHARS },
            }).catch(reportRejectsOverLimit(context, key));
        keepRejects(context, key, result.rejects);
        loaded = result;
        if ('crlfMadeLf' in result || 'strayCrs' in result) {
          context.warnings.push(...csvCopyWarnings(displayName, result));
        }
        if (result.rejects.length === result.rowsRejected) {
          records = {
            header: format.header,
            rejectedRecords: result.rejects.map((r) => r.line).sort((a, b) => a - b),
          };
        }
        break;
      }
      case 'json': {
        const batchedJson = jsonBatch?.get(index);
        const result =
          batchedJson ??
          (await loadJson(context.session, {
            path: file.path,
            table,
            displayName,
            layout: format.layout,
            compression,
            emptyFile: format.emptyFile,
            maxRejects: format.maxRejects,
            keepRejects: { into: REJECTED_ROWS_TABLE, file: key, maxRecordChars: MAX_RECORD_CHARS },
          }).catch(reportRejectsOverLimit(context, key)));
        keepRejects(context, key, result.rejects);
        loaded = result;
        break;
      }
      case 'parquet': {
        const result =
          parquetBatch?.get(index) ??
          (await loadParquet(context.session, { path: file.path, table, displayName }));
        loaded = { ...result, tableCreated: true, rowsRejected: 0 };
        break;
      }
    }
    context.counts.rowsRead += loaded.rowsLoaded + loaded.rowsRejected;
    context.counts.rowsRejected += loaded.rowsRejected;
    (context.loadedFiles ??= []).push({
      key,
      rowsLoaded: loaded.rowsLoaded,
      rowsRejected: loaded.rowsRejected,
      ...(records ? { records } : {}),
    });
    if (!loaded.tableCreated && loaded.rowsRejected === 0) {
      // Said out loud: a skipped empty file is marked processed, so it must not vanish silently.
      context.warnings.push({
        code: 'SOURCE_FILE_EMPTY',
        message: `${displayName} has no data rows; skipped (empty_file: skip).`,
      });
    }
    if (!loaded.tableCreated) continue;
    for (const column of loaded.columns) {
      if (column === FILE_COLUMN || column === ROW_COLUMN) {
        throw new FerryError(
          'SOURCE_RESERVED_COLUMN',
          `${displayName} has a column named ${column}, which ferry reserves.`,
          {
            context: { pipeline: context.pipeline.name, step: 'load', key },
            hint: 'Rename the column in the source file.',
          },
        );
      }
      if (!columns.includes(column)) columns.push(column);
    }
    const rows = batched ?? jsonBatch?.get(index)?.rows ?? parquetBatch?.get(index)?.rows;
    parts.push({
      table: rows?.table ?? table,
      key,
      rows: loaded.rowsLoaded,
      columnTypes: loaded.columnTypes ?? {},
      ...(rows ? { batch: rows } : {}),
    });
  }

  if (parts.length === 0) {
    // Nothing loaded (all files empty under the `skip` policy): an empty source with no columns.
    await runSql(
      context,
      'load',
      `CREATE TABLE ${q(step.table)} (${q(FILE_COLUMN)} VARCHAR, ${q(ROW_COLUMN)} BIGINT)`,
    );
    context.sourceColumns = [];
    return;
  }
  // JSON files typed differently (a field BIGINT in one, DOUBLE in another) get one type per field.
  const conversions: Array<Record<string, string>> =
    source.format.kind === 'json' ? await unifyJsonTypes(context.session, parts) : parts.map(() => ({}));
  let offset = 0;
  const selects: string[] = [];
  // The table of each file loaded on its own, by its SELECT's place in `selects`.
  const ownTables = new Map<number, string>();
  const loadedByKey = new Map((context.loadedFiles ?? []).map((f) => [f.key, f]));
  const batched = new Map<string, Array<{ loaded: BatchedRows; key: string; offset: number }>>();
  for (const [index, part] of parts.entries()) {
    if (part.batch !== undefined) {
      // Numbered by the batch table's rowids (checked contiguous per file): no query per file.
      batched.set(part.table, [
        ...(batched.get(part.table) ?? []),
        { loaded: part.batch, key: part.key, offset },
      ]);
      const file = loadedByKey.get(part.key);
      if (file) file.offset = offset;
      offset += part.rows;
      continue;
    }
    // Loaded tables keep file order (CREATE TABLE AS with preserve_insertion_order), so a contiguous
    // rowid numbers the rows without a sort; a gap (never expected) falls back to a window.
    const [range] = await querySql(
      context,
      'load',
      `SELECT min(rowid) AS lo, max(rowid) AS hi, count(*) AS n FROM ${q(part.table)}`,
    );
    const lo = Number(range?.['lo'] ?? 0);
    const contiguous = Number(range?.['hi'] ?? -1) - lo + 1 === Number(range?.['n'] ?? 0);
    const rowNumber = contiguous ? `rowid - ${lo} + 1` : 'row_number() OVER (ORDER BY rowid)';
    const replaced = Object.entries(conversions[index] ?? {}).map(([c, sql]) => `${sql} AS ${q(c)}`);
    const all = replaced.length ? `* REPLACE (${replaced.join(', ')})` : '*';
    ownTables.set(selects.length, part.table);
    selects.push(
      `SELECT ${all}, ${quoteLiteral(part.key)} AS ${q(FILE_COLUMN)}, ${offset} + ${rowNumber} AS ${q(ROW_COLUMN)} FROM ${q(part.table)}`,
    );
    const file = context.loadedFiles?.find((f) => f.key === part.key);
    if (file) file.offset = offset;
    offset += part.rows;
  }
  for (const files of batched.values()) {
    selects.push(compileBatchSourceSql(files, { fileColumn: FILE_COLUMN, rowColumn: ROW_COLUMN }));
  }
  // Usually a view (the rows are read once, by the mapping); a table for many files loaded one by one.
  await createSourceRelation(context, step.table, selects, ownTables);
  const [row] = await querySql(context, 'load', `SELECT count(*) AS n FROM ${q(step.table)}`);
  if (Number(row?.['n']) !== offset) {
    throw new FerryError(
      'LOAD_COUNT_MISMATCH',
      `Loaded ${String(row?.['n'])} rows but the files held ${offset}.`,
      {
        context: { pipeline: context.pipeline.name, step: 'load' },
      },
    );
  }
  context.sourceColumns = columns;
}

/**
 * A file over max_rejects fails the run, which still reports what the file read and rejected
 * (counts and the first rejects, in the report and the run record); the error goes on.
 */
function reportRejectsOverLimit(context: StepContext, key: string): (error: unknown) => never {
  return (error) => {
    const over = rejectsOverLimit(error);
    if (over !== undefined) {
      keepRejects(context, key, over.rejects);
      context.counts.rowsRead += over.rowsLoaded + over.rowsRejected;
      context.counts.rowsRejected += over.rowsRejected;
    }
    throw error;
  };
}

/** Reader rejects go into the report with file, line and reason (details capped; all are counted). */
function keepRejects(
  context: StepContext,
  key: string,
  rejects: ReadonlyArray<{ line: number; reason: string; detail: string }>,
): void {
  for (const reject of rejects) {
    if (context.rejects.length >= MAX_REJECT_DETAILS) break;
    context.rejects.push({ file: key, line: reject.line, reason: `${reject.reason}: ${reject.detail}` });
  }
}
