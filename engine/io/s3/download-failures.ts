/**
 * The errors a download ends with, shared by the one-GET path (download-object.ts) and the ranged
 * path (download-ranges.ts): a body that was cut short or stalled on every attempt, and local write
 * failures.
 */

import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { formatS3Uri, wrapS3Error, type S3ErrorTarget } from './wrap-s3-error.js';

/** What names the object in an error (a subset of DownloadObjectOptions). */
export interface DownloadTarget {
  connection: string;
  bucket: string;
  key: string;
}

/** A body failure that another GET may fix. */
export interface TransientFailure {
  kind: 'truncated' | 'stalled';
  bytesReceived: number;
  bytesExpected: number | undefined;
  cause: unknown;
}

export function downloadContext(target: DownloadTarget): S3ErrorTarget & FerryErrorContext {
  return { operation: 'GetObject', connection: target.connection, bucket: target.bucket, key: target.key };
}

export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** A body's silence watch: `touch()` on every chunk; `cutKind` says why an error ended the body. */
export interface BodyIdleWatch {
  touch: () => void;
  stop: () => void;
  /** 'stalled' when the watch (or a socket timeout) ended the body, else 'truncated'. */
  cutKind: (error: unknown) => TransientFailure['kind'];
}

/**
 * Destroys `body` with a TimeoutError once no chunk arrived for `idleMs` (the SDK does not bound a
 * body that goes silent mid-stream). One timer, pushed back by each touch (refresh() re-arms it
 * without a new allocation). Every download path (one GET, small body, ranges) uses it.
 */
export function watchBodyIdle(body: Readable, idleMs: number): BodyIdleWatch {
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    body.destroy(Object.assign(new Error(`body idle for ${idleMs} ms`), { name: 'TimeoutError' }));
  }, idleMs);
  return {
    touch: () => void timer.refresh(),
    stop: () => clearTimeout(timer),
    cutKind: (error) => (stalled || isTimeoutError(error) ? 'stalled' : 'truncated'),
  };
}

/** A full disk (ENOSPC) or an exhausted quota (EDQUOT): the write cannot succeed until space is freed. */
function isDiskFull(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * FILE_WRITE_FAILED for a local error while downloading; RUN_DISK_FULL when the disk under the file
 * is full, the same code DuckDB's writes get (duckdb-limit-error.ts), so an operator sees one cause.
 */
export function fileWriteFailed(target: DownloadTarget, path: string, cause: unknown): FerryError {
  if (isDiskFull(cause)) {
    return new FerryError(
      'RUN_DISK_FULL',
      `Could not write ${path} while downloading ${formatS3Uri(target.bucket, target.key)}: the disk of the run's temp dir is full.`,
      {
        context: { ...downloadContext(target), file: path },
        cause,
        hint: 'Free space on the disk of the temp dir (TMPDIR), or set limits.temp_disk_bytes below the room it has: the fetch step then refuses before its first GET when the listed sizes do not fit.',
      },
    );
  }
  return new FerryError(
    'FILE_WRITE_FAILED',
    `Could not write ${path} while downloading ${formatS3Uri(target.bucket, target.key)}. Check free space and permissions of the run's temp directory.`,
    { context: { ...downloadContext(target), file: path }, cause },
  );
}

/** S3_TIMEOUT or S3_DOWNLOAD_TRUNCATED after the last attempt; `extra` adds context (e.g. the range). */
export function downloadExhausted(
  target: DownloadTarget,
  failure: TransientFailure,
  attempts: number,
  extra: FerryErrorContext = {},
): FerryError {
  const where = formatS3Uri(target.bucket, target.key);
  const cause = failure.cause === undefined ? undefined : wrapS3Error(failure.cause, downloadContext(target));
  const context: FerryErrorContext = {
    ...downloadContext(target),
    ...extra,
    attempts,
    bytesReceived: failure.bytesReceived,
  };
  if (failure.bytesExpected !== undefined) context.bytesExpected = failure.bytesExpected;
  if (failure.kind === 'stalled') {
    return new FerryError(
      'S3_TIMEOUT',
      `GetObject ${where} stalled: the body stopped arriving after ${failure.bytesReceived} bytes, ${attempts} times. Check the network path to the endpoint of connection "${target.connection}", or raise its body idle timeout.`,
      { context, cause, retryable: true },
    );
  }
  const expected = failure.bytesExpected === undefined ? '' : ` of ${failure.bytesExpected}`;
  return new FerryError(
    'S3_DOWNLOAD_TRUNCATED',
    `GetObject ${where} was cut short: received ${failure.bytesReceived}${expected} bytes, ${attempts} times. Retry later; if it persists, check the endpoint of connection "${target.connection}" and any proxy in between.`,
    { context, cause, retryable: true },
  );
}

/** S3_OBJECT_CHANGED: what was listed (or the first range's answer) is not what a GET delivers. */
export function objectChanged(target: DownloadTarget, what: string, context: FerryErrorContext): FerryError {
  return new FerryError(
    'S3_OBJECT_CHANGED',
    `GetObject ${formatS3Uri(target.bucket, target.key)} ${what}: the object changed since it was listed. Plan again.`,
    { context: { ...downloadContext(target), ...context }, retryable: false },
  );
}

const RETRY_BASE_DELAY_MS = 200;
const RETRY_MAX_DELAY_MS = 5_000;

/** Waits before GET attempt `attempt + 1`: exponential with jitter, cut short by the signal. */
export async function waitBeforeRetry(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  const backoffMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
  await sleep(backoffMs * (0.5 + Math.random() / 2), undefined, signal === undefined ? {} : { signal });
}
