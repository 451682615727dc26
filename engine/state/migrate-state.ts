/**
 * `ferry state migrate`: copies every blob of one state backend to another (a local directory up to
 * S3) without loss. Locks are not state and are not copied — but a lock that is still held means a
 * run is working on the source, and the migration refuses. The commit points (state.json,
 * manifest.json) are copied last, so a migration cut short never leaves a pointer to a file that is
 * not there yet; every blob is read back from the target and compared with the source by SHA-256.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import type { BlobStore } from './blob-store.js';
import { sha256OfFile } from '../io/sha256-of-file.js';
import { BACKEND_RECORD_KEY, PROBE_PREFIX } from './s3-conditional-writes.js';
import { readLock, staleReason, DEFAULT_LOCK_TTL_MS } from './state-lock.js';

export interface MigratedBlob {
  key: string;
  bytes: number;
}

export interface MigrationReport {
  copied: MigratedBlob[];
  /** Locks of runs that are gone (expired, or their process on this machine ended): not copied. */
  staleLocks: string[];
  /** With `force`: keys the target had that the source does not (left as they were). */
  keptInTarget: string[];
}

const isLock = (key: string) => /(^|\/)lock\.json$/.test(key);
const isCommitPoint = (key: string) => /(^|\/)(state|manifest)\.json$/.test(key);
const isDocument = (key: string) => key.endsWith('.json');
const notState = (key: string) => key.startsWith(PROBE_PREFIX) || key === BACKEND_RECORD_KEY;

async function stateKeys(store: BlobStore): Promise<string[]> {
  return [...(await store.list('pipelines/')), ...(await store.list('datasets/'))];
}

/**
 * Copies `from` into `to`. Refuses (STATE_MIGRATE_TARGET_NOT_EMPTY) when `to` already holds state,
 * unless `force`; refuses (LOCK_HELD) while a run holds a lock in `from`. `scratchDir` is a private
 * temp dir for large files on their way.
 */
export async function migrateState(input: {
  from: BlobStore;
  to: BlobStore;
  force: boolean;
  scratchDir: string;
  onCopied?: (blob: MigratedBlob) => void;
}): Promise<MigrationReport> {
  const { from, to } = input;
  const keys = (await stateKeys(from)).filter((k) => !notState(k));
  if (keys.length === 0) {
    throw new FerryError('STATE_MIGRATE_NOTHING', `There is no state in ${from.location} to migrate.`, {
      hint: 'Name the directory that holds it with --from DIR.',
    });
  }
  const staleLocks: string[] = [];
  for (const key of keys.filter(isLock)) {
    const status = await readLock(from, key);
    const sharedStore = from.sharedAcrossHosts;
    if (
      status.kind === 'held' &&
      staleReason(status, new Date(), DEFAULT_LOCK_TTL_MS, { sharedStore }) === undefined
    ) {
      throw new FerryError(
        'LOCK_HELD',
        `${from.describe(key)} is held by run ${status.info.runId} on ${status.info.host} (pid ${status.info.pid}) until ${status.info.expiresAt}: a run is working on this state, so it was not migrated.`,
        { hint: 'Stop every ferry run (and scheduler) using this state, then migrate.' },
      );
    }
    staleLocks.push(key);
  }
  const existing = (await stateKeys(to)).filter((k) => !isLock(k));
  if (existing.length > 0 && !input.force) {
    throw new FerryError(
      'STATE_MIGRATE_TARGET_NOT_EMPTY',
      `${to.location} already holds state (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? `, … ${existing.length} keys` : ''}); nothing was copied.`,
      {
        hint: 'Point state at an empty bucket or prefix, or pass --force to overwrite the keys the source has (others are left as they are).',
      },
    );
  }
  const wanted = keys.filter((k) => !isLock(k));
  // Files and records first, the commit points last: a partial copy never points at a missing file.
  const ordered = [...wanted.filter((k) => !isCommitPoint(k)), ...wanted.filter(isCommitPoint)];
  const copied: MigratedBlob[] = [];
  for (const key of ordered) {
    const blob = await copyBlob(from, to, key, { force: input.force, scratchDir: input.scratchDir });
    copied.push(blob);
    input.onCopied?.(blob);
  }
  const source = new Set(wanted);
  return { copied, staleLocks, keptInTarget: existing.filter((k) => !source.has(k)) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Copies one blob and reads it back from the target: the same SHA-256, or STATE_MIGRATE_VERIFY_FAILED. */
async function copyBlob(
  from: BlobStore,
  to: BlobStore,
  key: string,
  options: { force: boolean; scratchDir: string },
): Promise<MigratedBlob> {
  const condition = options.force ? undefined : ({ ifNoneMatch: '*' } as const);
  let expected: string;
  let actual: string | undefined;
  let bytes: number;
  if (isDocument(key)) {
    const blob = await from.read(key);
    if (!blob) throw vanished(from, key);
    await to.write(key, blob.data, condition);
    expected = sha256(blob.data);
    bytes = blob.data.length;
    const back = await to.read(key);
    actual = back ? sha256(back.data) : undefined;
  } else {
    const local = join(options.scratchDir, 'blob');
    const readBack = join(options.scratchDir, 'read-back');
    if (!(await from.getFile(key, local))) throw vanished(from, key);
    expected = await sha256OfFile(local);
    await to.putFile(key, local, condition, { sha256: expected });
    bytes = (await stat(local)).size;
    actual = (await to.getFile(key, readBack)) ? await sha256OfFile(readBack) : undefined;
  }
  if (actual !== expected) {
    throw new FerryError(
      'STATE_MIGRATE_VERIFY_FAILED',
      `${to.describe(key)} does not read back as the ${from.describe(key)} it was copied from (${actual === undefined ? 'it is missing' : 'its SHA-256 differs'}).`,
      {
        hint: 'Nothing at the source was changed. Check the target endpoint and run the migration again with --force.',
      },
    );
  }
  return { key, bytes };
}

function vanished(from: BlobStore, key: string): FerryError {
  return new FerryError(
    'STATE_MIGRATE_SOURCE_CHANGED',
    `${from.describe(key)} disappeared while it was being migrated.`,
    {
      hint: 'Something changed the source state during the migration: stop every ferry run, then migrate again with --force.',
    },
  );
}
