/**
 * The load step's batch path for Parquet: a run's small Parquet files with one schema go into DuckDB
 * with one read (engine/duckdb/load-parquet-batch.ts). All or nothing, like the JSON batch: any doubt
 * and the load step loads every file with load-parquet.ts, as before.
 */
import { stat } from 'node:fs/promises';
import { detectCompression } from '../duckdb/detect-compression.js';
import { loadParquetBatch, type BatchLoadedParquet } from '../duckdb/load-parquet-batch.js';
import { CSV_BATCH_MAX_FILE_BYTES } from '../duckdb/read-csv-batch-plan.js';
import type { StepContext } from './step-context.js';

/** Undefined when the files are to be loaded one by one (not Parquet, fewer than two, a large one…). */
export async function loadParquetFilesTogether(
  context: StepContext,
): Promise<Map<number, BatchLoadedParquet> | undefined> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind !== 'parquet' || context.fetched.length < 2)
    return undefined;
  const files = [];
  for (const [index, file] of context.fetched.entries()) {
    if ((file.size ?? (await stat(file.path)).size) > CSV_BATCH_MAX_FILE_BYTES) return undefined;
    // Compression is checked as the one-file load checks it; a file in doubt is left to that load.
    const key = file.candidate.key;
    const detected = await detectCompression(file.path, { declared: source.compression, key }).catch(
      () => undefined,
    );
    if (detected?.compression !== 'none') return undefined;
    files.push({ index, path: file.path });
  }
  return await loadParquetBatch(context.session, files);
}
