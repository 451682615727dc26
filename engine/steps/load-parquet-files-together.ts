/**
 * The load step's batch path for Parquet: a run's small Parquet files with one schema go into DuckDB
 * with one read (engine/duckdb/load-parquet-batch.ts). All or nothing, like the JSON batch: any doubt
 * and the load step loads every file with load-parquet.ts, as before.
 */
import { loadParquetBatch, type BatchLoadedParquet } from '../duckdb/load-parquet-batch.js';
import { smallFileCompression } from './small-file-compression.js';
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
    if ((await smallFileCompression(file, source.compression)) !== 'none') return undefined;
    files.push({ index, path: file.path });
  }
  return await loadParquetBatch(context.session, files);
}
