/**
 * The load step's batch path for JSON: a run's small NDJSON files, or small JSON array files turned
 * into lines (json-array-to-lines.ts), go into DuckDB with one read (engine/duckdb/load-json-batch.ts)
 * instead of several statements each. All or nothing: it only takes a run whose every file it can
 * take, so the run's column types come from one place; any doubt and the load step loads every file
 * with load-json.ts, as before.
 */
import { readFile } from 'node:fs/promises';
import { jsonArrayToLines } from '../duckdb/json-array-to-lines.js';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_REJECT_DETAILS } from '../duckdb/load-json.js';
import { loadJsonBatch, type BatchLoadedJson, type JsonBatchFile } from '../duckdb/load-json-batch.js';
import { decompressSmall } from '../duckdb/open-decompressed.js';
import { canValidateNdjson } from '../duckdb/validate-ndjson-file.js';
import type { Compression } from '../duckdb/detect-compression.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import { MAX_RECORD_CHARS, REJECTED_ROWS_TABLE } from './rejected-rows.js';
import { smallFileCompression } from './small-file-compression.js';
import type { FetchedFile, StepContext } from './step-context.js';

/** The most an array file may hold decompressed to be turned into lines (small files only). */
const MAX_ARRAY_TEXT_BYTES = 8 * 1024 * 1024;
/** The most the lines of a run's array files may hold in all (they are in memory until the batch reads them). */
const MAX_ARRAY_LINES_BYTES = 64 * 1024 * 1024;

/** Undefined when the files are to be loaded one by one (not JSON, fewer than two, a large one…). */
export async function loadJsonFilesTogether(
  context: StepContext,
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind !== 'json') return undefined;
  if (context.fetched.length < 2) return undefined;
  const layout = source.format.layout;
  const files: JsonBatchFile[] = [];
  let linesBytes = 0;
  for (const [index, file] of context.fetched.entries()) {
    const compression = await smallFileCompression(file, source.compression);
    if (compression === undefined || !canValidateNdjson(compression)) return undefined;
    const key = file.candidate.key;
    const named = { index, path: file.path, key, displayName: formatS3Uri(source.bucket, key) };
    if (layout === 'ndjson') {
      files.push({ ...named, compression, ...(file.bytes !== undefined ? { bytes: file.bytes } : {}) });
      continue;
    }
    const lines = await arrayAsLines(file, compression);
    linesBytes += lines?.length ?? 0;
    if (lines === undefined || linesBytes > MAX_ARRAY_LINES_BYTES) return undefined;
    files.push({ ...named, compression: 'none', bytes: lines, whole: true });
  }
  return await loadJsonBatch(context.session, files, {
    emptyFile: source.format.emptyFile,
    maxRejects: source.format.maxRejects,
    keepRejects: { into: REJECTED_ROWS_TABLE, maxRecordChars: MAX_RECORD_CHARS },
    maxRejectDetails: DEFAULT_MAX_REJECT_DETAILS,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  });
}

/** An array file's elements as NDJSON lines (json-array-to-lines.ts); undefined when it does not convert. */
async function arrayAsLines(file: FetchedFile, compression: Compression): Promise<Buffer | undefined> {
  const raw = file.bytes ?? (await readFile(file.path).catch(() => undefined));
  if (raw === undefined) return undefined;
  const text = await decompressSmall(raw, compression, MAX_ARRAY_TEXT_BYTES).catch(() => undefined);
  return text === undefined ? undefined : jsonArrayToLines(text);
}
