/**
 * What the JSON and Parquet batch paths ask of each fetched file before they take it: is it small
 * enough to go with the others, and what is its compression? A file in doubt (too large, or its
 * compression contradicted or unsupported) is left to the one-file load, which reports it in order.
 */
import { stat } from 'node:fs/promises';
import {
  detectCompression,
  type Compression,
  type DeclaredCompression,
} from '../duckdb/detect-compression.js';
import { CSV_BATCH_MAX_FILE_BYTES } from '../duckdb/read-csv-batch-plan.js';
import type { FetchedFile } from './step-context.js';

/**
 * The file's compression, or undefined when the file is to be loaded on its own. Decided once: the
 * fetch step's decision when it made one (CSV and JSON sources), else detected here (from the bytes
 * the fetch step kept, when it kept them) and kept on the file, so the load step does not open it
 * again for the same answer.
 */
export async function smallFileCompression(
  file: FetchedFile,
  declared: DeclaredCompression,
): Promise<Compression | undefined> {
  if ((file.size ?? (await stat(file.path)).size) > CSV_BATCH_MAX_FILE_BYTES) return undefined;
  if (file.compression !== undefined) return file.compression;
  // The bytes the fetch step kept, when it kept them: no open to read the file's first bytes again.
  const detected = await detectCompression(file.path, {
    declared,
    key: file.candidate.key,
    ...(file.bytes !== undefined ? { head: file.bytes } : {}),
  }).catch(() => undefined);
  if (detected !== undefined) file.compression = detected.compression;
  return detected?.compression;
}
