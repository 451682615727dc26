/**
 * "What changed in the configuration since the last apply": a flat, path-by-path comparison of the
 * normalized pipeline with the one recorded in state. Secret fields are references, never values, and
 * so is every other setting written with a reference: the snapshot shows `${env:FERRY_BUCKET}`, not
 * what it resolved to on this machine (docs/security.md).
 */
import { createHash } from 'node:crypto';
import type { Pipeline } from '../config/model.js';
import { restoreReferences } from '../config/restore-references.js';
import type { ConfigChange } from './plan-model.js';

/** The normalized pipeline with resolved values, without its file location (moving a file is no change). */
function resolvedSnapshot(pipeline: Pipeline): Record<string, unknown> {
  const { origin: _origin, ...rest } = pipeline;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** The pipeline as stored in state and shown in plans: references as written, not their values. */
export function configSnapshot(pipeline: Pipeline): Record<string, unknown> {
  return restoreReferences(resolvedSnapshot(pipeline), pipeline.origin.resolvedReferences ?? []);
}

/**
 * Changes when what the pipeline would do changes, so it hashes the resolved values: a saved plan is
 * stale when `${env:FERRY_BUCKET}` now names another bucket, though the snapshot reads the same.
 */
export function configFingerprint(pipeline: Pipeline): string {
  return createHash('sha256')
    .update(JSON.stringify(resolvedSnapshot(pipeline)))
    .digest('hex');
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(path, {});
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
    return;
  }
  out.set(path, value);
}

export function diffConfig(before: unknown, after: unknown): ConfigChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before ?? {}, '', a);
  flatten(after ?? {}, '', b);
  const changes: ConfigChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (!a.has(path)) changes.push({ path, change: 'added', after: y });
    else if (!b.has(path)) changes.push({ path, change: 'removed', before: x });
    else if (JSON.stringify(x) !== JSON.stringify(y))
      changes.push({ path, change: 'changed', before: x, after: y });
  }
  return changes;
}
