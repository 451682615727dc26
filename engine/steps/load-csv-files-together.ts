/**
 * The load step's batch path: a run's small CSV files that share a header go into DuckDB with one
 * read (engine/duckdb/load-csv-batch.ts) instead of a dozen statements each. It only ever takes files
 * it can vouch for; the load step loads every other file with load-csv.ts, in file order, so errors,
 * warnings, rejects and counts are the same whichever path a file took.
 */
import { DEFAULT_MAX_LINE_BYTES } from '../duckdb/compile-read-csv.js';
import { loadCsvBatch, type CsvBatch } from '../duckdb/load-csv-batch.js';
import { normalizeCsvDialect, type NormalizedCsvDialect } from '../duckdb/normalize-csv-dialect.js';
import { readCsvBatchPlan } from '../duckdb/read-csv-batch-plan.js';
import { writeFetchedFile } from './fetch-step.js';
import type { StepContext } from './step-context.js';

/** load-csv.ts's default: rejects returned in detail per file. */
const MAX_REJECT_DETAILS_PER_FILE = 1000;

/** Undefined when nothing can be batched (not CSV, fewer than two files, an invalid dialect). */
export async function loadCsvFilesTogether(context: StepContext): Promise<CsvBatch | undefined> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind !== 'csv' || context.fetched.length < 2) return undefined;
  const format = source.format;
  let dialect: NormalizedCsvDialect;
  try {
    // compression is per group; the load of each file checks the dialect again and reports it.
    dialect = normalizeCsvDialect(
      {
        delimiter: format.delimiter,
        quote: format.quote,
        escape: format.escape,
        header: format.header,
        encoding: format.encoding,
        ...(format.nullString !== undefined ? { nullString: format.nullString } : {}),
        compression: 'none',
        emptyFile: format.emptyFile,
      },
      '',
    );
  } catch {
    return undefined;
  }
  const maxLineBytes = format.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const groups = await readCsvBatchPlan(
    context.fetched.map((file, index) => ({
      index,
      path: file.path,
      key: file.candidate.key,
      ...(file.size !== undefined ? { size: file.size } : {}),
      ...(file.compression !== undefined ? { compression: file.compression } : {}),
      ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
    })),
    {
      dialect,
      declaredCompression: source.compression,
      ...(format.columns ? { columns: format.columns } : {}),
      maxLineBytes,
    },
  );
  if (groups.length === 0) return undefined;
  return await loadCsvBatch(context.session, groups, {
    dialect,
    ...(format.maxRejects ? { maxRejects: format.maxRejects } : {}),
    maxLineBytes,
    maxRejectDetails: MAX_REJECT_DETAILS_PER_FILE,
    // A group read as separate files needs them on disk; the fetch step may have left them in memory.
    ensureOnDisk: async (files) => {
      for (const file of files) {
        const fetched = context.fetched[file.index];
        if (fetched !== undefined) await writeFetchedFile(context, fetched);
      }
    },
  });
}
