/**
 * Locks and compare-and-swap commits are only as good as the backend's conditional writes. Where an
 * S3 endpoint does not enforce them, ferry never pretends to lock: apply refuses, unless the project
 * accepted running unlocked (`state.lock: unsafe-single-writer`), and every plan says which it is.
 */
import { FerryError } from '../errors/ferry-error.js';
import type { BlobStore } from './blob-store.js';

export type LockPolicy = 'required' | 'unsafe-single-writer';

/** A warning about the state backend, for every plan and apply report. */
export interface StateWarning {
  code: string;
  message: string;
}

/** Throws STATE_LOCK_UNSUPPORTED when locks would mean nothing and the project did not accept that. */
export async function assertLockable(blobs: BlobStore, policy: LockPolicy): Promise<void> {
  const check = await blobs.checkConditionalWrites();
  if (check.support === 'enforced' || policy === 'unsafe-single-writer') return;
  throw new FerryError(
    'STATE_LOCK_UNSUPPORTED',
    `The state backend ${blobs.location} does not enforce conditional writes (${check.how}), so ferry cannot lock it or commit safely against another run; nothing was run.`,
    {
      hint: 'Use an endpoint that enforces If-None-Match / If-Match (AWS S3 does). If only one ferry ever runs against this state, set `state.lock: unsafe-single-writer` in ferry.yaml to run unlocked.',
    },
  );
}

/**
 * What a plan and an apply report must say about the backend: that apply will refuse to lock it,
 * that it runs unlocked, or that it could not be checked. Read-only credentials get the answer the
 * last writer recorded.
 */
export async function backendWarnings(blobs: BlobStore, policy: LockPolicy): Promise<StateWarning[]> {
  const check = await blobs.checkConditionalWrites({ readOnly: true });
  const where = blobs.location;
  if (check.support === 'enforced') return [];
  if (check.support === 'unknown') {
    return [
      {
        code: 'STATE_CONDITIONAL_WRITES_UNKNOWN',
        message: `Could not check whether the state backend ${where} enforces conditional writes: ${check.how}. apply checks before it takes a lock, and refuses without them.`,
      },
    ];
  }
  if (policy === 'unsafe-single-writer') {
    return [
      {
        code: 'STATE_UNLOCKED',
        message: `NOT LOCKED: the state backend ${where} does not enforce conditional writes (${check.how}) and state.lock is unsafe-single-writer, so runs are not locked against each other. Two ferry runs at once can process the same files twice and overwrite each other's state.`,
      },
    ];
  }
  return [
    {
      code: 'STATE_LOCK_UNSUPPORTED',
      message: `apply WILL REFUSE to run: the state backend ${where} does not enforce conditional writes (${check.how}), so ferry cannot lock it. Use an endpoint that does (AWS S3), or accept running unlocked with state.lock: unsafe-single-writer.`,
    },
  ];
}
