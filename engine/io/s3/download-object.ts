/**
 * Streams one object to a caller-chosen local path. The SDK does not retry a body that is cut or stalls
 * mid-stream (it surfaces as `Error: aborted` or hangs), so this module owns that: it writes to
 * `<dest>.part`, destroys a body that stays silent for bodyIdleTimeoutMs, checks the byte count against
 * Content-Length (and the size the caller listed), hashes while streaming, retries the whole GET a
 * bounded number of times, and renames into place only after everything checked out. No fsync: every
 * destination is a scratch copy in a run's temp dir that a crash discards, and an fsync per file cost
 * more than the GET of a small object on a busy disk.
 */

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { DEFAULT_S3_TIMEOUTS } from './s3-connection.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export interface DownloadObjectOptions {
  /** Connection name, for error messages. */
  connection: string;
  bucket: string;
  key: string;
  /** Local destination chosen by the caller (inside the run's temp dir); never derived from the key. */
  destPath: string;
  /** Size from the listing; a different Content-Length means the object changed since it was listed. */
  expectedSize?: number;
  /** Whole-GET attempts when the body is cut or stalls (each GET also gets the SDK's own retries). */
  maxAttempts?: number;
  /** Longest silence while the body streams; should match the connection's bodyIdleTimeoutMs. */
  bodyIdleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface DownloadedObject {
  path: string;
  size: number;
  /** Hex SHA-256 of the bytes written. */
  sha256: string;
  /** ETag without quotes. */
  etag: string;
  lastModified: Date | undefined;
  contentType: string | undefined;
}

const DEFAULT_DOWNLOAD_ATTEMPTS = 3;
/**
 * Buffering between the body and the file: with the streams' 16 KiB default the socket is paused
 * and resumed for nearly every chunk; 1 MiB lets the file writes keep up in batches.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;
const RETRY_BASE_DELAY_MS = 200;
const RETRY_MAX_DELAY_MS = 5_000;

/** A body failure that another whole GET may fix. */
interface TransientFailure {
  kind: 'truncated' | 'stalled';
  bytesReceived: number;
  bytesExpected: number | undefined;
  cause: unknown;
}

type AttemptResult = { kind: 'ok'; object: DownloadedObject } | { kind: 'retry'; failure: TransientFailure };

function baseContext(options: DownloadObjectOptions): FerryErrorContext {
  return { operation: 'GetObject', connection: options.connection, bucket: options.bucket, key: options.key };
}

function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

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
    throw new FerryError(
      'S3_OBJECT_CHANGED',
      `GetObject ${formatS3Uri(bucket, key)} has ${contentLength} bytes but was listed with ${options.expectedSize}: the object changed since it was listed. Plan again.`,
      {
        context: { ...baseContext(options), expectedBytes: options.expectedSize, contentLength },
        retryable: false,
      },
    );
  }
  const bytesExpected = contentLength ?? options.expectedSize;

  const hash = createHash('sha256');
  let bytesReceived = 0;
  let stalled = false;
  // One timer, pushed back by every chunk (refresh() re-arms it without a new allocation).
  const idleTimer = setTimeout(() => {
    stalled = true;
    body.destroy(Object.assign(new Error(`body idle for ${bodyIdleTimeoutMs} ms`), { name: 'TimeoutError' }));
  }, bodyIdleTimeoutMs);
  const meter = new Transform({
    highWaterMark: WRITE_BUFFER_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      bytesReceived += chunk.length;
      hash.update(chunk);
      idleTimer.refresh();
      callback(null, chunk);
    },
  });

  let writeError: unknown;
  const sink = createWriteStream(partPath, { highWaterMark: WRITE_BUFFER_BYTES });
  sink.once('error', (error) => (writeError = error));
  try {
    await pipeline(body, meter, sink, options.signal === undefined ? {} : { signal: options.signal });
  } catch (error) {
    if (writeError !== undefined) throw fileWriteFailed(options, partPath, writeError);
    if (options.signal?.aborted === true)
      throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
    const kind = stalled || isTimeoutError(error) ? 'stalled' : 'truncated';
    return { kind: 'retry', failure: { kind, bytesReceived, bytesExpected, cause: error } };
  } finally {
    clearTimeout(idleTimer);
  }
  if (bytesExpected !== undefined && bytesReceived !== bytesExpected) {
    return { kind: 'retry', failure: { kind: 'truncated', bytesReceived, bytesExpected, cause: undefined } };
  }
  return {
    kind: 'ok',
    object: {
      path: options.destPath,
      size: bytesReceived,
      sha256: hash.digest('hex'),
      etag: stripEtagQuotes(response.ETag ?? ''),
      lastModified: response.LastModified,
      contentType: response.ContentType,
    },
  };
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

function fileWriteFailed(options: DownloadObjectOptions, path: string, cause: unknown): FerryError {
  return new FerryError(
    'FILE_WRITE_FAILED',
    `Could not write ${path} while downloading ${formatS3Uri(options.bucket, options.key)}. Check free space and permissions of the run's temp directory.`,
    { context: { ...baseContext(options), file: path }, cause },
  );
}

function exhausted(options: DownloadObjectOptions, failure: TransientFailure, attempts: number): FerryError {
  const where = formatS3Uri(options.bucket, options.key);
  const cause =
    failure.cause === undefined
      ? undefined
      : wrapS3Error(failure.cause, {
          operation: 'GetObject',
          connection: options.connection,
          bucket: options.bucket,
          key: options.key,
        });
  const context: FerryErrorContext = {
    ...baseContext(options),
    attempts,
    bytesReceived: failure.bytesReceived,
  };
  if (failure.bytesExpected !== undefined) context.bytesExpected = failure.bytesExpected;
  if (failure.kind === 'stalled') {
    return new FerryError(
      'S3_TIMEOUT',
      `GetObject ${where} stalled: the body stopped arriving after ${failure.bytesReceived} bytes, ${attempts} times. Check the network path to the endpoint of connection "${options.connection}", or raise its body idle timeout.`,
      { context, cause, retryable: true },
    );
  }
  const expected = failure.bytesExpected === undefined ? '' : ` of ${failure.bytesExpected}`;
  return new FerryError(
    'S3_DOWNLOAD_TRUNCATED',
    `GetObject ${where} was cut short: received ${failure.bytesReceived}${expected} bytes, ${attempts} times. Retry later; if it persists, check the endpoint of connection "${options.connection}" and any proxy in between.`,
    { context, cause, retryable: true },
  );
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
  try {
    for (let attempt = 1; ; attempt++) {
      const result = await downloadOnce(client, options, partPath, bodyIdleTimeoutMs);
      if (result.kind === 'ok') {
        await onLocalFile(options, options.destPath, () => rename(partPath, options.destPath));
        return result.object;
      }
      if (attempt >= maxAttempts) throw exhausted(options, result.failure, attempt);
      const backoffMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
      await sleep(
        backoffMs * (0.5 + Math.random() / 2),
        undefined,
        options.signal === undefined ? {} : { signal: options.signal },
      );
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
