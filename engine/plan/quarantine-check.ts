/**
 * Quarantined source objects in selection (docs/guards.md). An entry holds its object while the
 * object is the same (key, ETag, size); new content is taken again, and so is an object whose every
 * tripped guard the run allows (`--allow`). A check failure is released only by new content or
 * `ferry state release`.
 */
import type { PipelineState, QuarantinedObject } from '../state/pipeline-state.js';

/** Structural: a listed object (select-files' ListedObject). */
interface ObjectIdentity {
  key: string;
  etag: string;
  size: number;
}

/**
 * The quarantine entry that still holds an object: same key, ETag and size (new content is taken
 * again), unless the run allows every guard that put it there.
 */
export function quarantineCheck(
  state: PipelineState,
  allow: ReadonlySet<string> | undefined,
): (object: ObjectIdentity) => QuarantinedObject | undefined {
  const byKey = new Map((state.quarantined ?? []).map((q) => [q.key, q]));
  return (object) => {
    const entry = byKey.get(object.key);
    if (!entry || entry.etag !== object.etag || entry.size !== object.size) return undefined;
    const released = entry.guards?.length && allow && entry.guards.every((g) => allow.has(g));
    return released ? undefined : entry;
  };
}
