/**
 * One writer at a time (I4), as a lock document in the state backend: created only if absent,
 * extended by heartbeats that are conditional on the holder's own last write, released only by its
 * owner. A lock is taken over only when it expired, or when its holder ran on this machine and its
 * process is gone. A holder whose heartbeat finds the lock changed has lost it: `assertHeld` then
 * throws, and the run stops before it commits anything.
 */
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import type { BlobStore, StoredBlob } from './blob-store.js';
import { parseStateDocument } from './state-documents.js';

export interface LockInfo {
  owner: string;
  runId: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
}

export interface HeldLock {
  info: LockInfo;
  /**
   * Throws LOCK_LOST when the lock is no longer this run's: a heartbeat found it taken over, or it
   * says so now (read again). Called right before a commit.
   */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  runId: string;
  ttlMs?: number;
  heartbeatMs?: number;
  now?: () => Date;
  /** How long to keep trying while another run holds the lock (`--lock-timeout`); default 0. */
  waitMs?: number;
  /** Called before each wait for a held lock, so the wait can be reported. */
  onWait?: (wait: LockWait) => void;
}

/** One wait for a lock another run holds. */
export interface LockWait {
  /** `Pipeline "p"` or `Dataset "d"`. */
  label: string;
  /** Who holds it, for people: `run X on host (pid N) since …, until …`. */
  holder: string;
  waitedMs: number;
  /** How long until the next attempt. */
  retryInMs: number;
}

/** What a lock document says, or why it cannot be read. */
export type LockStatus =
  | { kind: 'free' }
  | { kind: 'held'; info: LockInfo; blob: StoredBlob }
  | { kind: 'corrupt'; blob: StoredBlob; reason: string };

export const DEFAULT_LOCK_TTL_MS = 10 * 60_000;

export async function readLock(blobs: BlobStore, key: string): Promise<LockStatus> {
  const blob = await blobs.read(key);
  if (!blob) return { kind: 'free' };
  try {
    const info = parseStateDocument<LockInfo>('lock', blob.data, { where: blobs.describe(key), hint: '' });
    return { kind: 'held', info, blob };
  } catch (error) {
    return { kind: 'corrupt', blob, reason: isFerryError(error) ? error.message : String(error) };
  }
}

/**
 * A holder on this machine whose process no longer exists (killed, crashed, OOM) holds nothing.
 * Holders on other hosts, and processes that exist (even if not ours: EPERM), are trusted until the
 * lock expires. A reused pid only makes us wait for the expiry, the safe side. On a store shared
 * across machines (S3) nobody is judged by pid: containers on other machines share host names and
 * pid numbers, so there a lock is taken over only after it expired.
 */
export function lockHolderIsGone(holder: LockInfo, options: { sharedStore?: boolean } = {}): boolean {
  if (options.sharedStore === true) return false;
  if (holder.host !== hostname() || holder.pid === process.pid || !Number.isInteger(holder.pid)) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether a lock may be taken over now, and why. */
export function staleReason(
  status: LockStatus,
  now: Date,
  ttlMs: number,
  options: { sharedStore?: boolean } = {},
): string | undefined {
  if (status.kind === 'free') return undefined;
  if (status.kind === 'corrupt') {
    // Nobody can be shown as the holder; a damaged lock is treated as expired one TTL after its last write.
    return now.getTime() - status.blob.modifiedAt.getTime() > ttlMs
      ? 'damaged and not written for a TTL'
      : undefined;
  }
  if (Date.parse(status.info.expiresAt) < now.getTime()) return 'expired';
  if (lockHolderIsGone(status.info, options)) return 'its process on this machine is gone';
  return undefined;
}

const FIRST_WAIT_STEP_MS = 500;
const MAX_WAIT_STEP_MS = 15_000;

/** When to try again for a held lock: backoff, but never past its expiry or the deadline. */
function nextAttemptInMs(status: LockStatus, attempt: number, leftMs: number, now: Date): number {
  const backoffMs =
    Math.min(MAX_WAIT_STEP_MS, FIRST_WAIT_STEP_MS * 2 ** attempt) * (0.8 + Math.random() * 0.4);
  const untilExpiryMs =
    status.kind === 'held' ? Math.max(0, Date.parse(status.info.expiresAt) - now.getTime()) + 100 : Infinity;
  return Math.max(50, Math.min(backoffMs, untilExpiryMs, leftMs));
}

function describeHolder(status: LockStatus): string {
  if (status.kind === 'held') {
    const h = status.info;
    return `run ${h.runId} on ${h.host} (pid ${h.pid}) since ${h.acquiredAt}, until ${h.expiresAt}`;
  }
  return status.kind === 'corrupt' ? `a damaged lock (${status.reason})` : 'another run';
}

/**
 * Takes a lock, waiting up to `options.waitMs` (with backoff, reported through `onWait`) while
 * another run holds it. Throws LOCK_HELD, naming the holder, when it is still held then.
 */
export async function acquireLock(
  blobs: BlobStore,
  key: string,
  label: string,
  errorContext: { pipeline?: string; dataset?: string },
  options: LockOptions,
): Promise<HeldLock> {
  const started = Date.now();
  const waitMs = options.waitMs ?? 0;
  for (let attempt = 0; ; attempt += 1) {
    const result = await tryAcquireLock(blobs, key, label, errorContext, options);
    if (!(result instanceof FerryError)) return result;
    const waitedMs = Date.now() - started;
    const leftMs = waitMs - waitedMs;
    if (leftMs <= 0) {
      if (waitMs > 0) result.message += ` Waited ${Math.round(waitedMs / 1000)} s for it (--lock-timeout).`;
      throw result;
    }
    const status = await readLock(blobs, key);
    const retryInMs = nextAttemptInMs(status, attempt, leftMs, (options.now ?? (() => new Date()))());
    options.onWait?.({ label, holder: describeHolder(status), waitedMs, retryInMs });
    await delay(retryInMs);
  }
}

/** One attempt: the lock, or the LOCK_HELD error to throw (returned, so the caller may wait instead). */
async function tryAcquireLock(
  blobs: BlobStore,
  key: string,
  label: string,
  errorContext: { pipeline?: string; dataset?: string },
  options: LockOptions,
): Promise<HeldLock | FerryError> {
  const now = options.now ?? (() => new Date());
  const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const makeInfo = (): LockInfo => ({
    owner: `${hostname()}:${process.pid}:${options.runId}`,
    runId: options.runId,
    host: hostname(),
    pid: process.pid,
    acquiredAt: now().toISOString(),
    expiresAt: new Date(now().getTime() + ttlMs).toISOString(),
  });
  let info = makeInfo();
  const text = (i: LockInfo) => JSON.stringify(i, null, 2) + '\n';
  let version: string | undefined;
  try {
    version = await blobs.write(key, text(info), { ifNoneMatch: '*' });
  } catch (error) {
    if (!isFerryError(error) || error.code !== 'STATE_CONFLICT') throw error;
  }
  if (version === undefined) {
    const status = await readLock(blobs, key);
    // A second attempt is stamped when it is made: a lock taken over is never dated before the
    // moment the old one was seen expired.
    if (status.kind === 'free') {
      // Released between our attempt and the read: try once more.
      info = makeInfo();
      version = await blobs.write(key, text(info), { ifNoneMatch: '*' }).catch(() => undefined);
    } else if (staleReason(status, now(), ttlMs, { sharedStore: blobs.sharedAcrossHosts }) !== undefined) {
      info = makeInfo();
      version = await blobs.write(key, text(info), { ifMatch: status.blob.version }).catch(() => undefined);
    }
    if (version === undefined) {
      const current = status.kind === 'free' ? await readLock(blobs, key) : status;
      return new FerryError('LOCK_HELD', `${label} is locked by ${describeHolder(current)}.`, {
        context: {
          ...errorContext,
          ...(current.kind === 'held' ? { lockOwner: current.info.owner, lockId: current.info.runId } : {}),
        },
        hint:
          current.kind === 'corrupt'
            ? `The lock document ${blobs.describe(key)} is damaged; \`ferry state unlock\` removes it.`
            : blobs.sharedAcrossHosts
              ? 'Wait for that run to finish (`--lock-timeout 15m` waits for it). If it is gone, its lock expires on its own; `ferry state unlock` removes it sooner.'
              : 'Wait for that run to finish (`--lock-timeout 15m` waits for it). If it is gone, its lock expires on its own (at once when it ran on this machine); `ferry state unlock` removes it sooner.',
      });
    }
  }
  return holdLock(blobs, key, info, version, { ttlMs, now, heartbeatMs: options.heartbeatMs });
}

function holdLock(
  blobs: BlobStore,
  key: string,
  info: LockInfo,
  firstVersion: string,
  options: { ttlMs: number; now: () => Date; heartbeatMs: number | undefined },
): HeldLock {
  let version = firstVersion;
  let current = info;
  let lost: string | undefined;
  // Heartbeats are chained so release can wait for an in-flight write before removing the lock.
  let pending: Promise<void> = Promise.resolve();
  const beat = async () => {
    if (lost) return;
    current = { ...current, expiresAt: new Date(options.now().getTime() + options.ttlMs).toISOString() };
    try {
      version = await blobs.write(key, JSON.stringify(current, null, 2) + '\n', { ifMatch: version });
    } catch (error) {
      if (isFerryError(error) && error.code === 'STATE_CONFLICT') lost = 'another run took it over';
      // Other failures (a network blip) are retried at the next beat; expiry is a TTL away.
    }
  };
  const timer = setInterval(
    () => {
      pending = pending.then(beat);
    },
    options.heartbeatMs ?? Math.max(1000, Math.floor(options.ttlMs / 3)),
  );
  timer.unref();
  return {
    info,
    assertHeld: async () => {
      if (!lost) {
        const status = await readLock(blobs, key);
        if (status.kind !== 'held' || status.info.owner !== info.owner) {
          lost =
            status.kind === 'held'
              ? `run ${status.info.runId} on ${status.info.host} took it over`
              : 'it was removed';
        }
      }
      if (lost) {
        throw new FerryError(
          'LOCK_LOST',
          `The lock ${blobs.describe(key)} is no longer this run's: ${lost}.`,
          {
            hint: 'Nothing of this run was committed; its outputs are journaled and removed by the next run. Run it again once the other run is done.',
          },
        );
      }
    },
    release: async () => {
      clearInterval(timer);
      await pending;
      if (lost) return;
      await blobs.delete(key, { ifMatch: version }).catch(() => undefined);
    },
  };
}
