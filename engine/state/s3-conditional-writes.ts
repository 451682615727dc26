/**
 * What a probe of an S3 state endpoint found, kept beside the state as `backend.json`: a plan whose
 * credentials may only read (CI against production state) cannot probe, and learns from it whether
 * the endpoint enforces conditional writes. Apply always probes for itself.
 */
import type { ConditionalWriteProbe } from '../io/s3/probe-conditional-writes.js';
import type { BlobStore, ConditionalWriteCheck } from './blob-store.js';
import { parseStateDocument } from './state-documents.js';

/** The record of the last probe. */
export const BACKEND_RECORD_KEY = 'backend.json';
/** Where probes put their throw-away objects (each removed right after). */
export const PROBE_PREFIX = 'probes/';

interface BackendRecord {
  formatVersion: 1;
  conditionalWrites: 'enforced' | 'not-enforced';
  checkedAt: string;
  detail?: string;
}

/** Records a probe's finding (best effort: losing it costs read-only plans only the answer). */
export async function recordProbe(
  blobs: BlobStore,
  found: ConditionalWriteProbe,
): Promise<ConditionalWriteCheck> {
  const record: BackendRecord = {
    formatVersion: 1,
    conditionalWrites: found.enforced ? 'enforced' : 'not-enforced',
    checkedAt: new Date().toISOString(),
    detail: found.detail,
  };
  await blobs.write(BACKEND_RECORD_KEY, JSON.stringify(record, null, 2) + '\n').catch(() => undefined);
  return { support: record.conditionalWrites, how: `probed just now: ${found.detail}` };
}

/** For credentials that may not write: what the last probe recorded, or `unknown`. */
export async function readRecordedProbe(blobs: BlobStore): Promise<ConditionalWriteCheck> {
  const blob = await blobs.read(BACKEND_RECORD_KEY);
  if (!blob) {
    return {
      support: 'unknown',
      how: `these credentials may not write to ${blobs.location} to probe it, and no run has recorded a probe there yet`,
    };
  }
  const record = parseStateDocument<BackendRecord>('backend record', blob.data, {
    where: blobs.describe(BACKEND_RECORD_KEY),
    hint: 'Remove it: the next apply probes the endpoint and records it again.',
  });
  return {
    support: record.conditionalWrites,
    how: `as a run recorded at ${record.checkedAt} (these credentials may not write, so it was not probed again)`,
  };
}
