/**
 * The load step's batch path for JSON: a run's small NDJSON files go into DuckDB with one read
 * (engine/duckdb/load-json-batch.ts) instead of several statements each. All or nothing: it only
 * takes a run whose every file it can take, so the run's column types come from one place; any doubt
 * and the load step loads every file with load-json.ts, as before.
 */
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_REJECT_DETAILS } from '../duckdb/load-json.js';
import { loadJsonBatch, type BatchLoadedJson } from '../duckdb/load-json-batch.js';
import { canValidateNdjson } from '../duckdb/validate-ndjson-file.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import { MAX_RECORD_CHARS, REJECTED_ROWS_TABLE } from './rejected-rows.js';
import { smallFileCompression } from './small-file-compression.js';
import type { StepContext } from './step-context.js';

/** Undefined when the files are to be loaded one by one (not NDJSON, fewer than two, a large one…). */
export async function loadJsonFilesTogether(
  context: StepContext,
): Promise<Map<number, BatchLoadedJson> | undefined> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind !== 'json' || source.format.layout !== 'ndjson')
    return undefined;
  if (context.fetched.length < 2) return undefined;
  const files = [];
  for (const [index, file] of context.fetched.entries()) {
    const compression = await smallFileCompression(file, source.compression);
    if (compression === undefined || !canValidateNdjson(compression)) return undefined;
    const key = file.candidate.key;
    files.push({
      index,
      path: file.path,
      compression,
      key,
      displayName: formatS3Uri(source.bucket, key),
      ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
    });
  }
  return await loadJsonBatch(context.session, files, {
    emptyFile: source.format.emptyFile,
    maxRejects: source.format.maxRejects,
    keepRejects: { into: REJECTED_ROWS_TABLE, maxRecordChars: MAX_RECORD_CHARS },
    maxRejectDetails: DEFAULT_MAX_REJECT_DETAILS,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  });
}
