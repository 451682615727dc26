/**
 * The pipeline state a successful run commits: processed objects (key + ETag + size, bounded by what
 * still exists at the source), the sequence cursor, the diff snapshot, the applied configuration
 * and the run history. Pure: computed from the old state and the run's plan.
 */
import type { Pipeline } from '../config/model.js';
import { configFingerprint, configSnapshot } from '../plan/diff-config.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import { MAX_HISTORY, type PipelineState, type RunRecord } from '../state/pipeline-state.js';

export function prunedProcessed(
  state: PipelineState,
  listing: ReadonlyArray<{ key: string }>,
): PipelineState['processed'] {
  // Forget objects that no longer exist at the source: keeps the processed set bounded by the listing.
  const present = new Set(listing.map((o) => o.key));
  return state.processed.filter((p) => present.has(p.key));
}

export function nextState(
  state: PipelineState,
  pipeline: Pipeline,
  plan: PipelinePlan,
  listing: ReadonlyArray<{ key: string }>,
  snapshot: PipelineState['snapshot'],
  startedMs: number,
): PipelineState {
  const finished = new Date();
  const selectedKeys = new Set(plan.selection.selected.map((c) => c.key));
  const processed = [
    ...prunedProcessed(state, listing).filter((p) => !selectedKeys.has(p.key)),
    ...plan.selection.selected.map((c) => ({
      key: c.key,
      etag: c.etag,
      size: c.size,
      lastModified: c.lastModified.toISOString(),
      processedAt: finished.toISOString(),
      runId: plan.runId,
    })),
  ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const lastTimestamped = [...plan.selection.selected].reverse().find((c) => c.timestamp);
  const record: RunRecord = {
    runId: plan.runId,
    status: 'succeeded',
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - startedMs,
    counts: plan.counts,
    outputs: plan.outputs.map(({ bucket, key, bytes, rows }) => ({ bucket, key, size: bytes, rows })),
    ...(plan.rejectedRowsFile !== undefined ? { rejectedRowsFile: plan.rejectedRowsFile } : {}),
  };
  const next: PipelineState = {
    ...state,
    configFingerprint: configFingerprint(pipeline),
    appliedConfig: configSnapshot(pipeline),
    processed,
    lastSuccessfulRun: record,
    history: [...state.history, record].slice(-MAX_HISTORY),
  };
  if (pipeline.source.kind === 's3' && pipeline.source.pick === 'sequence' && lastTimestamped?.timestamp) {
    next.sequenceCursor = { key: lastTimestamped.key, timestamp: lastTimestamped.timestamp.toISOString() };
  }
  if (snapshot) next.snapshot = snapshot;
  return next;
}
