/**
 * The ranged path of `downloadObject` for a large object whose size was listed: byte ranges fetched
 * in parallel (a bounded number at once) and written at their offsets in `<dest>.part`, each range
 * retried on its own when its body is cut or stalls. The checks of the one-GET path hold: every range
 * must answer with its exact Content-Range of the listed size and the same ETag (else the object
 * changed: S3_OBJECT_CHANGED), every byte must arrive (else S3_DOWNLOAD_TRUNCATED / S3_TIMEOUT), and
 * the SHA-256 is of the bytes written, in order: a worker thread hashes the file behind the ranges as
 * they complete (hash-file-on-worker.ts), on another core than the one moving the bytes.
 */

import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import type { DownloadedObject, DownloadObjectOptions } from './download-object-options.js';
import {
  downloadExhausted,
  downloadContext,
  fileWriteFailed,
  watchBodyIdle,
  objectChanged,
  waitBeforeRetry,
  type TransientFailure,
} from './download-failures.js';
import { hashFileOnWorker } from './hash-file-on-worker.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export interface RangedDownloadSettings {
  size: number;
  rangeBytes: number;
  /** Ranges in flight at once. */
  concurrency: number;
  maxAttempts: number;
  bodyIdleTimeoutMs: number;
}

/** The server answered a range request with the whole object (no Content-Range): use one GET. */
export class RangesNotSupported extends Error {}

/** Writes of at least this much are batched per range (fewer, larger writes). */
const WRITE_BATCH_BYTES = 1024 * 1024;

interface Headers {
  etag: string;
  lastModified: Date | undefined;
  contentType: string | undefined;
}

type RangeAttempt = { kind: 'ok'; headers: Headers } | { kind: 'retry'; failure: TransientFailure };

/** Checks a range answer's Content-Range: `bytes start-end/size`, exactly the range asked for. */
function checkContentRange(
  options: DownloadObjectOptions,
  range: { start: number; end: number; size: number },
  answer: { ContentRange?: string | undefined },
): void {
  if (answer.ContentRange === undefined || answer.ContentRange === '') throw new RangesNotSupported();
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.ContentRange.trim());
  if (match === null) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `GetObject ${formatS3Uri(options.bucket, options.key)} answered a range request with Content-Range "${answer.ContentRange}".`,
      { context: downloadContext(options) },
    );
  }
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (total !== range.size) {
    throw objectChanged(options, `has ${total} bytes but was listed with ${range.size}`, {
      expectedBytes: range.size,
      contentLength: total,
    });
  }
  if (start !== range.start || end !== range.end) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `GetObject ${formatS3Uri(options.bucket, options.key)} answered bytes ${start}-${end} when asked for ${range.start}-${range.end}.`,
      { context: downloadContext(options) },
    );
  }
}

interface SharedState {
  /** The first answer's headers: every other range must have its ETag. */
  first: Headers | undefined;
  signal: AbortSignal;
}

/** One GET of bytes start..end (inclusive), written at `start` in the file. */
async function fetchRangeOnce(
  client: S3Client,
  options: DownloadObjectOptions,
  file: FileHandle,
  range: { start: number; end: number; size: number },
  settings: RangedDownloadSettings,
  state: SharedState,
): Promise<RangeAttempt> {
  // The SDK leaves a listener on the signal of every request it sends: each request gets its own.
  const own = new AbortController();
  const forward = (): void => own.abort(state.signal.reason);
  state.signal.addEventListener('abort', forward, { once: true });
  try {
    return await fetchRangeWithSignal(client, options, file, range, settings, state, own.signal);
  } finally {
    state.signal.removeEventListener('abort', forward);
  }
}

async function fetchRangeWithSignal(
  client: S3Client,
  options: DownloadObjectOptions,
  file: FileHandle,
  range: { start: number; end: number; size: number },
  settings: RangedDownloadSettings,
  state: SharedState,
  signal: AbortSignal,
): Promise<RangeAttempt> {
  let response;
  try {
    response = await client.send(
      new GetObjectCommand({
        Bucket: options.bucket,
        Key: options.key,
        Range: `bytes=${range.start}-${range.end}`,
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw wrapS3Error(error, downloadContext(options));
  }
  const body = response.Body;
  if (!(body instanceof Readable)) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `GetObject ${formatS3Uri(options.bucket, options.key)} answered without a readable body.`,
      {
        context: downloadContext(options),
      },
    );
  }
  const headers = {
    etag: stripEtagQuotes(response.ETag ?? ''),
    lastModified: response.LastModified,
    contentType: response.ContentType,
  };
  try {
    checkContentRange(options, range, response);
    // The first answer's ETag is the object's; every other range must come from the same object.
    state.first ??= headers;
    if (headers.etag !== state.first.etag) {
      throw objectChanged(options, 'changed while its ranges were downloading (another ETag)', {
        etag: state.first.etag,
        otherEtag: headers.etag,
      });
    }
  } catch (error) {
    body.destroy();
    throw error;
  }
  const wanted = range.end - range.start + 1;
  let received = 0;
  const idle = watchBodyIdle(body, settings.bodyIdleTimeoutMs);
  const onAbort = (): void => void body.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let written = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const flush = async (): Promise<void> => {
    const chunks = batch;
    const position = range.start + written;
    written += batchBytes;
    batch = [];
    batchBytes = 0;
    await writing;
    writing = file.writev(chunks, position);
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      idle.touch();
      if (received + chunk.length > wanted) throw new Error(`range body longer than ${wanted} bytes`);
      received += chunk.length;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
  } catch (error) {
    await writing.catch(() => undefined);
    if (signal.aborted) throw wrapS3Error(error, downloadContext(options));
    const kind = idle.cutKind(error);
    return { kind: 'retry', failure: { kind, bytesReceived: received, bytesExpected: wanted, cause: error } };
  } finally {
    idle.stop();
    signal.removeEventListener('abort', onAbort);
  }
  if (batchBytes > 0) await flush();
  try {
    await writing;
  } catch (error) {
    throw fileWriteFailed(options, `${options.destPath}.part`, error);
  }
  if (received !== wanted) {
    return {
      kind: 'retry',
      failure: { kind: 'truncated', bytesReceived: received, bytesExpected: wanted, cause: undefined },
    };
  }
  return { kind: 'ok', headers };
}

/**
 * Downloads the object's ranges into `partPath` and returns what `downloadObject` returns (the
 * caller renames). Throws `RangesNotSupported` when the server ignores Range (the caller falls back to
 * one GET), or the codes of the one-GET path.
 */
export async function downloadRanges(
  client: S3Client,
  options: DownloadObjectOptions,
  partPath: string,
  settings: RangedDownloadSettings,
): Promise<DownloadedObject> {
  const { size, rangeBytes } = settings;
  const count = Math.ceil(size / rangeBytes);
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const file = await open(partPath, 'w').catch((error: unknown) => {
    throw fileWriteFailed(options, partPath, error);
  });
  const hash = hashFileOnWorker(partPath, 'sha256');
  const state: SharedState = { first: undefined, signal: controller.signal };
  const done = new Array<boolean>(count).fill(false);
  let hashed = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const fetchRange = async (index: number): Promise<void> => {
    const start = index * rangeBytes;
    const range = { start, end: Math.min(size, start + rangeBytes) - 1, size };
    for (let attempt = 1; ; attempt++) {
      const result = await fetchRangeOnce(client, options, file, range, settings, state);
      if (result.kind === 'ok') return;
      if (attempt >= settings.maxAttempts) {
        throw downloadExhausted(options, result.failure, attempt, {
          range: `bytes=${range.start}-${range.end}`,
        });
      }
      await waitBeforeRetry(attempt, controller.signal);
    }
  };
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await fetchRange(index);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
        return;
      }
      done[index] = true;
      // Hash the written prefix, in order, as soon as it grows.
      const from = hashed;
      while (hashed < count && done[hashed] === true) hashed++;
      hash.update(from * rangeBytes, Math.min(size, hashed * rangeBytes));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, count) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    await file.close().catch(() => undefined);
  }
  if (failure !== undefined) {
    hash.cancel();
    throw failure.error;
  }
  let sha256: string;
  try {
    sha256 = await hash.digest();
  } catch (error) {
    throw fileWriteFailed(options, partPath, error);
  }
  const first = state.first ?? { etag: '', lastModified: undefined, contentType: undefined };
  return { path: options.destPath, size, sha256, ...first };
}
