/**
 * fetch: stream every selected object into the run's temp dir (local names are ours, never the
 * key), verifying length; downloads that are cut or stall are retried by the S3 layer. With
 * `source.decrypt` each file is then PGP-decrypted into a new temp file, which is what load reads.
 * The fetched files together must fit `limits.temp_disk_bytes`, and a compressed file is
 * decompressed once, to nowhere, to hold it to `limits.max_decompressed_bytes` and
 * `max_compression_ratio` before DuckDB reads it (docs/limits.md).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatByteSize } from '../config/parse-byte-size.js';
import { detectCompression } from '../duckdb/detect-compression.js';
import { enforceDecompressionLimits } from '../duckdb/enforce-decompression-limits.js';
import { FerryError } from '../errors/ferry-error.js';
import { downloadObject } from '../io/s3/download-object.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import type { FetchStep } from '../plan/plan-model.js';
import { prepareDecryption } from './decrypt-fetched-file.js';
import type { StepContext } from './step-context.js';

export async function executeFetchStep(context: StepContext, step: FetchStep): Promise<void> {
  const { client, settings } = context.s3(step.connection);
  const { limits } = context.project;
  let fetchedBytes = 0;
  const decrypt = await prepareDecryption(context, step);
  for (const object of step.objects) {
    const candidate = context.selected.find((c) => c.key === object.key);
    if (!candidate) continue;
    const displayName = formatS3Uri(step.bucket, object.key);
    const where = { pipeline: context.pipeline.name, step: 'fetch', bucket: step.bucket, key: object.key };
    if (fetchedBytes + object.size > limits.tempDiskBytes) {
      throw new FerryError(
        'RUN_TEMP_DISK_EXCEEDED',
        `Fetching ${displayName} (${formatByteSize(object.size)}) would take the run's files past limits.temp_disk_bytes (${formatByteSize(limits.tempDiskBytes)}); ${formatByteSize(fetchedBytes)} are fetched already.`,
        {
          context: { ...where, limit: 'temp_disk_bytes', maxBytes: limits.tempDiskBytes },
          hint: 'Raise limits.temp_disk_bytes in ferry.yaml, or lower source.max_files so a run fetches fewer files.',
        },
      );
    }
    const downloaded = await downloadObject(client, {
      connection: step.connection,
      bucket: step.bucket,
      key: object.key,
      destPath: join(context.tempDir, object.localName),
      expectedSize: object.size,
      bodyIdleTimeoutMs: settings.bodyIdleTimeoutMs,
    });
    fetchedBytes += downloaded.size;
    const path = await decrypt(object.key, downloaded.path);
    if (path !== downloaded.path) fetchedBytes += (await stat(path)).size;
    context.session.nameFile(path, displayName);
    await enforceLimits(context, path, displayName, where);
    context.fetched.push({ candidate, path, sha256: downloaded.sha256 });
  }
}

async function enforceLimits(
  context: StepContext,
  path: string,
  displayName: string,
  where: { pipeline: string; step: string; bucket: string; key: string },
): Promise<void> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind === 'parquet') return;
  // The same decision the load step makes, so the check measures what DuckDB would decompress.
  const { compression } = await detectCompression(path, { declared: source.compression, key: where.key });
  await enforceDecompressionLimits(path, {
    compression,
    displayName,
    context: where,
    maxDecompressedBytes: context.project.limits.maxDecompressedBytes,
    maxCompressionRatio: context.project.limits.maxCompressionRatio,
  });
}
