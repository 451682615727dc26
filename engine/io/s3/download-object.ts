/**
 * Streams one object to a caller-chosen local path. The SDK does not retry a body that is cut or stalls
 * mid-stream (it surfaces as `Error: aborted` or hangs), so this module owns that: it writes to
 * `<dest>.part`, destroys a body that stays silent for bodyIdleTimeoutMs, checks the byte count against
 * Content-Length (and the size the caller listed), hashes while streaming, retries the whole GET a
 * bounded number of times, and renames into place only after everything checked out. A large object
 * whose size was listed comes in parallel byte ranges instead (download-ranges.ts), with the same
 * checks; a small one is always one GET, and one of at most SMALL_BODY_BYTES is read into memory and
 * written in place whole (read-small-body.ts), or left in memory for a caller that may never need the
 * file (`keepSmallBodyInMemory`). No fsync: every
 * destination is a scratch copy in a run's temp dir that a crash discards, and an fsync per file cost
 * more than the GET of a small object on a busy disk.
 */

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import {
  downloadContext as baseContext,
  downloadExhausted,
  fileWriteFailed,
  watchBodyIdle,
  objectChanged,
  waitBeforeRetry,
  type TransientFailure,
} from './download-failures.js';
import { downloadRanges, RangesNotSupported } from './download-ranges.js';
import { DEFAULT_S3_TIMEOUTS } from './s3-connection.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';
import { HEAD_BYTES, type DownloadedObject, type DownloadObjectOptions } from './download-object-options.js';
import { readSmallBody, SMALL_BODY_BYTES } from './read-small-body.js';

export type { DownloadedObject, DownloadObjectOptions } from './download-object-options.js';

const DEFAULT_DOWNLOAD_ATTEMPTS = 3;
/**
 * Buffering between the body and the file: with the streams' 16 KiB default the socket is paused
 * and resumed for nearly every chunk; 1 MiB lets the file writes keep up in batches.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;
const DEFAULT_RANGED_THRESHOLD_BYTES = 64 * 1024 * 1024;
const DEFAULT_RANGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_RANGE_CONCURRENCY = 4;

/** `placed`: the file is already at destPath (the small path writes it there whole). */
type AttemptResult =
  { kind: 'ok'; object: DownloadedObject; placed: boolean } | { kind: 'retry'; failure: TransientFailure };

async function downloadOnce(
  client: S3Client,
  options: DownloadObjectOptions,
  partPath: string,
  bodyIdleTimeoutMs: number,
): Promise<AttemptResult> {
  const { bucket, key, connection } = options;
  let response;
  try {
    response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    // The SDK already retried what it could before the response headers; this is final.
    throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
  }
  const body = response.Body;
  if (!(body instanceof Readable)) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `GetObject ${formatS3Uri(bucket, key)} answered without a readable body.`,
      {
        context: baseContext(options),
      },
    );
  }
  const contentLength = response.ContentLength;
  if (
    options.expectedSize !== undefined &&
    contentLength !== undefined &&
    contentLength !== options.expectedSize
  ) {
    body.destroy();
    throw objectChanged(options, `has ${contentLength} bytes but was listed with ${options.expectedSize}`, {
      expectedBytes: options.expectedSize,
      contentLength,
    });
  }
  const bytesExpected = contentLength ?? options.expectedSize;
  const headers = {
    etag: stripEtagQuotes(response.ETag ?? ''),
    lastModified: response.LastModified,
    contentType: response.ContentType,
  };
  if (contentLength !== undefined && contentLength <= SMALL_BODY_BYTES) {
    return placeSmallBody(body, options, { contentLength, bodyIdleTimeoutMs, headers });
  }

  const hash = createHash('sha256');
  let bytesReceived = 0;
  let head = Buffer.alloc(0);
  const idle = watchBodyIdle(body, bodyIdleTimeoutMs);
  const meter = new Transform({
    highWaterMark: WRITE_BUFFER_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      bytesReceived += chunk.length;
      hash.update(chunk);
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      idle.touch();
      callback(null, chunk);
    },
  });

  // A local write error is the sink's own. Node 22's pipeline also destroys the sink with the body's
  // error (a cut or stalled body), which the sink then emits: that one is the body's, and retried.
  let bodyError: unknown;
  body.once('error', (error) => (bodyError = error));
  let writeError: unknown;
  const sink = createWriteStream(partPath, { highWaterMark: WRITE_BUFFER_BYTES });
  sink.once('error', (error) => {
    if (error !== bodyError) writeError = error;
  });
  try {
    await pipeline(body, meter, sink, options.signal === undefined ? {} : { signal: options.signal });
  } catch (error) {
    if (writeError !== undefined) throw fileWriteFailed(options, partPath, writeError);
    if (options.signal?.aborted === true)
      throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
    const kind = idle.cutKind(error);
    return { kind: 'retry', failure: { kind, bytesReceived, bytesExpected, cause: error } };
  } finally {
    idle.stop();
  }
  if (bytesExpected !== undefined && bytesReceived !== bytesExpected) {
    return { kind: 'retry', failure: { kind: 'truncated', bytesReceived, bytesExpected, cause: undefined } };
  }
  return {
    kind: 'ok',
    placed: false,
    object: { path: options.destPath, size: bytesReceived, sha256: hash.digest('hex'), ...headers, head },
  };
}

/** The small path (read-small-body.ts): the checked body is written straight to destPath. */
async function placeSmallBody(
  body: Readable,
  options: DownloadObjectOptions,
  how: {
    contentLength: number;
    bodyIdleTimeoutMs: number;
    headers: Omit<DownloadedObject, 'path' | 'size' | 'sha256'>;
  },
): Promise<AttemptResult> {
  const { connection, bucket, key, destPath } = options;
  let result;
  try {
    result = await readSmallBody(body, how.contentLength, how.bodyIdleTimeoutMs, options.signal);
  } catch (error) {
    throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
  }
  if (result.kind === 'retry') return result;
  const { bytes, sha256 } = result;
  if (options.keepSmallBodyInMemory !== true) await writeDownloadedBody(options, bytes);
  const head = bytes.subarray(0, HEAD_BYTES);
  return {
    kind: 'ok',
    placed: true,
    object: {
      path: destPath,
      size: bytes.length,
      sha256,
      ...how.headers,
      head,
      bytes,
      ...(options.keepSmallBodyInMemory === true ? { inMemoryOnly: true as const } : {}),
    },
  };
}

/**
 * Writes a downloaded body to `target.destPath` in one go: the small path does it at once, and a
 * caller that had it left in memory (`keepSmallBodyInMemory`) does it when it needs the file.
 * Throws FILE_WRITE_FAILED, or RUN_DISK_FULL when the disk is full, leaving no partial file.
 */
export async function writeDownloadedBody(
  target: Pick<DownloadObjectOptions, 'connection' | 'bucket' | 'key' | 'destPath'>,
  bytes: Uint8Array,
): Promise<void> {
  try {
    await writeFile(target.destPath, bytes);
  } catch (error) {
    await rm(target.destPath, { force: true }).catch(() => undefined);
    throw fileWriteFailed(target, target.destPath, error);
  }
}

/** Runs a local file operation, turning its failure into FILE_WRITE_FAILED. */
async function onLocalFile<T>(
  options: DownloadObjectOptions,
  path: string,
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw fileWriteFailed(options, path, error);
  }
}

/**
 * Downloads `bucket/key` to `destPath` (via `destPath + '.part'`). Throws `S3_DOWNLOAD_TRUNCATED` or
 * `S3_TIMEOUT` when every attempt's body was cut or stalled, `S3_OBJECT_CHANGED` when the size differs
 * from `expectedSize`, `FILE_WRITE_FAILED` for local errors, or any code of `wrapS3Error`.
 */
export async function downloadObject(
  client: S3Client,
  options: DownloadObjectOptions,
): Promise<DownloadedObject> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_DOWNLOAD_ATTEMPTS);
  const bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? DEFAULT_S3_TIMEOUTS.bodyIdleTimeoutMs;
  const partPath = `${options.destPath}.part`;
  const size = options.expectedSize;
  try {
    if (size !== undefined && size >= (options.rangedThresholdBytes ?? DEFAULT_RANGED_THRESHOLD_BYTES)) {
      const ranged = await downloadRanges(client, options, partPath, {
        size,
        rangeBytes: options.rangeBytes ?? DEFAULT_RANGE_BYTES,
        concurrency: options.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY,
        maxAttempts,
        bodyIdleTimeoutMs,
      }).catch((error: unknown) => {
        if (error instanceof RangesNotSupported) return undefined;
        throw error;
      });
      if (ranged !== undefined) {
        await onLocalFile(options, options.destPath, () => rename(partPath, options.destPath));
        return ranged;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const result = await downloadOnce(client, options, partPath, bodyIdleTimeoutMs);
      if (result.kind === 'ok') {
        if (!result.placed)
          await onLocalFile(options, options.destPath, () => rename(partPath, options.destPath));
        return result.object;
      }
      if (attempt >= maxAttempts) throw downloadExhausted(options, result.failure, attempt);
      await waitBeforeRetry(attempt, options.signal);
    }
  } catch (error) {
    // Best effort: the original failure matters more than a leftover .part in the run's temp dir.
    await rm(partPath, { force: true }).catch(() => undefined);
    if (error instanceof FerryError) throw error;
    throw wrapS3Error(error, {
      operation: 'GetObject',
      connection: options.connection,
      bucket: options.bucket,
      key: options.key,
    });
  }
}
