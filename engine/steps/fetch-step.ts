/**
 * fetch: stream every selected object into the run's temp dir (local names are ours, never the
 * key), verifying length and hashing as it streams; downloads that are cut or stall are retried by
 * the S3 layer. FETCH_CONCURRENCY objects are in flight at once (a thousand small files cost a
 * thousand round trips, which must overlap); `context.fetched` keeps the plan's order whatever order
 * they finish in, and the first failure stops the pool and fails the step, naming its key.
 * With `source.decrypt` each file is then PGP-decrypted into a new temp file, which is what load
 * reads. The fetched files together must fit `limits.temp_disk_bytes` (checked on the listed sizes
 * before the first GET, and again as decrypted files add to them), and a compressed file is
 * decompressed once, to nowhere, to hold it to `limits.max_decompressed_bytes` and
 * `max_compression_ratio` before DuckDB reads it (docs/limits.md). Small JSON and CSV files,
 * uncompressed or gzip, stay in memory only (FetchedFile.inMemoryOnly), for the batch loads, which
 * write one file for many; writeFetchedFile puts one on disk when a load reads it by its path.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatByteSize } from '../config/parse-byte-size.js';
import { detectCompression, type Compression } from '../duckdb/detect-compression.js';
import { enforceDecompressionLimits } from '../duckdb/enforce-decompression-limits.js';
import { FerryError } from '../errors/ferry-error.js';
import { mapWithConcurrency } from '../io/map-with-concurrency.js';
import { downloadObject, writeDownloadedBody } from '../io/s3/download-object.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import type { FetchStep } from '../plan/plan-model.js';
import type { Candidate } from '../plan/select-files.js';
import { prepareDecryption } from './decrypt-fetched-file.js';
import type { FetchedFile, StepContext } from './step-context.js';

/** Objects in flight at once; the S3 client's agents keep 50 sockets alive, so these reuse them. */
export const FETCH_CONCURRENCY = 16;
/**
 * Small files' bytes kept in memory for the load step's batch scan (FetchedFile.bytes), in all: a
 * thousand small files are then read from disk once (by DuckDB), not twice.
 */
export const KEPT_BYTES_BUDGET = 32 * 1024 * 1024;

type FetchObject = FetchStep['objects'][number];
type Where = { pipeline: string; step: string; bucket: string; key: string };

export async function executeFetchStep(context: StepContext, step: FetchStep): Promise<void> {
  const { client, settings } = context.s3(step.connection);
  const selected = new Map(context.selected.map((c) => [c.key, c]));
  const jobs = step.objects.flatMap((object) => {
    const candidate = selected.get(object.key);
    return candidate ? [{ object, candidate }] : [];
  });
  const budget = checkTempDiskBudget(context, step, jobs);
  const decrypt = await prepareDecryption(context, step);
  let keptBytes = 0;
  const keep = (bytes: Buffer | undefined): Buffer | undefined => {
    if (bytes === undefined || keptBytes + bytes.length > KEPT_BYTES_BUDGET) return undefined;
    keptBytes += bytes.length;
    return bytes;
  };
  const leaveInMemory = mayLeaveInMemory(context);
  const fetched = await mapWithConcurrency(jobs, { limit: FETCH_CONCURRENCY }, async (job, _i, signal) => {
    const { object, candidate } = job;
    const displayName = formatS3Uri(step.bucket, object.key);
    const where = { pipeline: context.pipeline.name, step: 'fetch', bucket: step.bucket, key: object.key };
    const target = {
      connection: step.connection,
      bucket: step.bucket,
      key: object.key,
      destPath: join(context.tempDir, object.localName),
    };
    const downloaded = await downloadObject(client, {
      ...target,
      expectedSize: object.size,
      bodyIdleTimeoutMs: settings.bodyIdleTimeoutMs,
      signal,
      keepSmallBodyInMemory: leaveInMemory,
    });
    // A body left in memory stays there only if it is kept for the load step and is plain or gzip
    // (which the batch loads decompress in Node); otherwise it is written now, as any other.
    let inMemoryOnly = downloaded.inMemoryOnly === true;
    let kept: Buffer | undefined;
    // Decided here for a body left in memory, and not again by enforceLimits (the same inputs).
    let decided: Compression | undefined;
    if (inMemoryOnly) {
      kept = keep(downloaded.bytes);
      decided = kept === undefined ? undefined : await compressionOf(context, downloaded, object.key);
      if (decided !== 'none' && decided !== 'gzip') {
        await writeDownloadedBody(target, downloaded.bytes ?? Buffer.alloc(0));
        inMemoryOnly = false;
      }
    }
    const path = await decrypt(object.key, downloaded.path, inMemoryOnly ? kept : undefined);
    // What the download saw (size, first bytes, bytes) is the file's only when no decryption made
    // another one; a decrypted file counts against the temp-disk budget on top of the download.
    const asDownloaded = path === downloaded.path;
    const size = asDownloaded ? downloaded.size : (await stat(path)).size;
    if (!asDownloaded) budget.add(size, displayName, where);
    context.session.nameFile(path, displayName);
    const head = asDownloaded ? downloaded.head : undefined;
    const compression = await enforceLimits(
      context,
      { path, head, ...(inMemoryOnly ? { bytes: kept, compression: decided } : {}) },
      displayName,
      where,
    );
    const bytes = asDownloaded ? (kept ?? keep(downloaded.bytes)) : undefined;
    return {
      candidate,
      path,
      sha256: downloaded.sha256,
      size,
      ...(compression !== undefined ? { compression } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
      ...(inMemoryOnly ? { inMemoryOnly: true as const } : {}),
    } satisfies FetchedFile;
  });
  context.fetched.push(...fetched);
}

/**
 * Whether small bodies may stay in memory, unwritten, until a load needs them on disk: for JSON (NDJSON
 * and arrays) and CSV without decryption, whose batch loads (load-json-batch.ts,
 * load-csv-batch-joined.ts) check the bytes and write one file for many; a thousand small files then
 * cost no file creations (0.1–0.5 ms each on a busy disk). Other formats are read by DuckDB from the
 * files, which are written as they come.
 */
function mayLeaveInMemory(context: StepContext): boolean {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.decrypt !== undefined) return false;
  return source.format.kind === 'csv' || source.format.kind === 'json';
}

/** The compression the load step will decide for a downloaded file, from its first bytes. */
async function compressionOf(
  context: StepContext,
  downloaded: { path: string; head?: Buffer },
  key: string,
): Promise<Compression | undefined> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || downloaded.head === undefined) return undefined;
  const { compression } = await detectCompression(downloaded.path, {
    declared: source.compression,
    key,
    head: downloaded.head,
  });
  return compression;
}

/**
 * Puts a file the fetch step left in memory (FetchedFile.inMemoryOnly) on disk, for a load that reads
 * it from its path. FILE_WRITE_FAILED or RUN_DISK_FULL, naming its key, when it cannot.
 */
export async function writeFetchedFile(context: StepContext, file: FetchedFile): Promise<void> {
  if (file.inMemoryOnly !== true) return;
  const source = context.pipeline.source;
  if (source.kind !== 's3' || file.bytes === undefined) {
    throw new Error(`fetched file ${file.candidate.key} is neither on disk nor in memory`);
  }
  await writeDownloadedBody(
    { connection: source.connection, bucket: source.bucket, key: file.candidate.key, destPath: file.path },
    file.bytes,
  );
  delete file.inMemoryOnly;
}

function tempDiskExceeded(context: StepContext, what: string, takenBytes: number, where: Where): FerryError {
  const { tempDiskBytes } = context.project.limits;
  return new FerryError(
    'RUN_TEMP_DISK_EXCEEDED',
    `${what} would take the run's files past limits.temp_disk_bytes (${formatByteSize(tempDiskBytes)}); ${formatByteSize(takenBytes)} are taken by the files before it.`,
    {
      context: { ...where, limit: 'temp_disk_bytes', maxBytes: tempDiskBytes },
      hint: 'Raise limits.temp_disk_bytes in ferry.yaml, or lower source.max_files so a run fetches fewer files.',
    },
  );
}

/**
 * The listed sizes, in the plan's order, must fit the budget before anything is fetched (the same
 * object is named whatever order the downloads finish in). Returns the running total, to which
 * decrypted files add.
 */
function checkTempDiskBudget(
  context: StepContext,
  step: FetchStep,
  jobs: ReadonlyArray<{ object: FetchObject; candidate: Candidate }>,
): { add: (bytes: number, displayName: string, where: Where) => void } {
  const { tempDiskBytes } = context.project.limits;
  let total = 0;
  for (const { object } of jobs) {
    if (total + object.size > tempDiskBytes) {
      const where = { pipeline: context.pipeline.name, step: 'fetch', bucket: step.bucket, key: object.key };
      const what = `Fetching ${formatS3Uri(step.bucket, object.key)} (${formatByteSize(object.size)})`;
      throw tempDiskExceeded(context, what, total, where);
    }
    total += object.size;
  }
  return {
    add: (bytes, displayName, where) => {
      if (total + bytes > tempDiskBytes) {
        throw tempDiskExceeded(context, `Decrypting ${displayName} (${formatByteSize(bytes)})`, total, where);
      }
      total += bytes;
    },
  };
}

/** Returns the compression it decided (undefined for Parquet, which DuckDB reads as it is). */
async function enforceLimits(
  context: StepContext,
  file: {
    path: string;
    head: Buffer | undefined;
    bytes?: Buffer | undefined;
    compression?: Compression | undefined;
  },
  displayName: string,
  where: Where,
): Promise<Compression | undefined> {
  const { path, head, bytes } = file;
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind === 'parquet') return undefined;
  // The same decision the load step makes, so the check measures what DuckDB would decompress.
  const compression =
    file.compression ??
    (
      await detectCompression(path, {
        declared: source.compression,
        key: where.key,
        ...(head === undefined ? {} : { head }),
      })
    ).compression;
  // A file in memory only is checked from its bytes: its path does not exist yet.
  await enforceDecompressionLimits(bytes ?? path, {
    compression,
    displayName,
    context: where,
    maxDecompressedBytes: context.project.limits.maxDecompressedBytes,
    maxCompressionRatio: context.project.limits.maxCompressionRatio,
  });
  return compression;
}
