/**
 * A run refused for its data (a guard tripped, a fail-level check failed: errors/quarantine-codes.ts)
 * quarantines its source files, so the next runs skip them instead of failing on them again and
 * again. The quarantine is a commit of its own (state/run-commit.ts `commitQuarantine`): nothing
 * else of the refused run is committed. The file is taken again when its content changes, when
 * `ferry state release` releases it, or by a run allowed (`--allow`) every guard it tripped.
 */
import { isFerryError } from '../errors/ferry-error.js';
import { QUARANTINE_CODES } from '../errors/quarantine-codes.js';
import type { QuarantinedObject } from '../state/pipeline-state.js';
import type { PreparedRun } from './prepare-pipeline-run.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export async function quarantineRefusedFiles(
  options: RunPipelineOptions,
  prepared: PreparedRun,
  error: unknown,
  assertLocked: () => Promise<void>,
): Promise<void> {
  if (!isFerryError(error) || !QUARANTINE_CODES.has(error.code)) return;
  const selected = prepared.selection.selected;
  if (selected.length === 0) return;
  // A check that names its file quarantines that file; a guard measures the run: all its files.
  const named = selected.filter((c) => c.key === error.context.key);
  const refused = error.code !== 'GUARD_TRIPPED' && named.length ? named : selected;
  const at = new Date().toISOString();
  const runId = prepared.plan.attemptId ?? prepared.plan.runId;
  const guards = (prepared.plan.guards ?? []).filter((g) => g.tripped && !g.allowed).map((g) => g.guard);
  const entries: QuarantinedObject[] = refused.map((c) => ({
    key: c.key,
    etag: c.etag,
    size: c.size,
    code: error.code,
    message: error.message,
    at,
    runId,
    ...(error.code === 'GUARD_TRIPPED' && guards.length ? { guards } : {}),
  }));
  const keys = new Set(entries.map((e) => e.key));
  const kept = (prepared.commit.read.state.quarantined ?? []).filter((q) => !keys.has(q.key));
  await assertLocked();
  await prepared.commit.commitQuarantine([...kept, ...entries].sort((a, b) => (a.key < b.key ? -1 : 1)));
  prepared.plan.quarantined = [...kept, ...entries];
  options.onEvent?.({
    type: 'warning',
    pipeline: options.pipeline.name,
    runId,
    code: 'SOURCE_QUARANTINED',
    message: `Quarantined ${entries.map((e) => e.key).join(', ')} (${error.code}): skipped until replaced, released (\`ferry state release ${options.pipeline.name} KEY\`) or allowed.`,
  });
}
