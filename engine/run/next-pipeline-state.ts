/**
 * The pipeline state a successful run commits: processed objects (key + ETag + size, bounded by what
 * still exists at the source), the sequence cursor, the diff snapshot, the applied configuration
 * and the run history. Pure: computed from the old state and the run's plan.
 */
import type { Pipeline } from '../config/model.js';
import { configFingerprint, configSnapshot } from '../plan/diff-config.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import { MAX_HISTORY, type PipelineState, type RunRecord } from '../state/pipeline-state.js';
import type { RunIdentity } from '../state/run-commit.js';

export function prunedProcessed(
  state: PipelineState,
  listing: ReadonlyArray<{ key: string }>,
): PipelineState['processed'] {
  // Forget objects that no longer exist at the source: keeps the processed set bounded by the listing.
  const present = new Set(listing.map((o) => o.key));
  return state.processed.filter((p) => present.has(p.key));
}

/** The record of one attempt, as history and runs/ keep it. */
export function runRecordOf(
  plan: PipelinePlan,
  identity: RunIdentity,
  times: { startedAt: Date; finishedAt: Date },
  status: RunRecord['status'],
): RunRecord {
  return {
    runId: identity.runId,
    attemptId: identity.attemptId,
    ...(identity.retryOf !== undefined ? { retryOf: identity.retryOf } : {}),
    status,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
    durationMs: times.finishedAt.getTime() - times.startedAt.getTime(),
    counts: { ...plan.counts },
    outputs: plan.outputs.map(({ bucket, key, bytes, rows }) => ({ bucket, key, size: bytes, rows })),
    ...(plan.rejectedRowsFile !== undefined ? { rejectedRowsFile: plan.rejectedRowsFile } : {}),
  };
}

export function nextState(input: {
  state: PipelineState;
  pipeline: Pipeline;
  plan: PipelinePlan;
  listing: ReadonlyArray<{ key: string }>;
  snapshot: PipelineState['snapshot'];
  /** The run's record; absent for a bookkeeping commit (no run happened). */
  record: RunRecord | undefined;
  finishedAt: Date;
}): PipelineState {
  const { state, pipeline, plan, record } = input;
  const selectedKeys = new Set(plan.selection.selected.map((c) => c.key));
  const processed = [
    ...prunedProcessed(state, input.listing).filter((p) => !selectedKeys.has(p.key)),
    ...plan.selection.selected.map((c) => ({
      key: c.key,
      etag: c.etag,
      size: c.size,
      lastModified: c.lastModified.toISOString(),
      processedAt: input.finishedAt.toISOString(),
      runId: plan.runId,
    })),
  ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const lastTimestamped = [...plan.selection.selected].reverse().find((c) => c.timestamp);
  const next: PipelineState = {
    ...state,
    configFingerprint: configFingerprint(pipeline),
    appliedConfig: configSnapshot(pipeline),
    processed,
    ...(record ? { lastSuccessfulRun: record, history: [...state.history, record].slice(-MAX_HISTORY) } : {}),
  };
  if (pipeline.source.kind === 's3' && pipeline.source.pick === 'sequence' && lastTimestamped?.timestamp) {
    next.sequenceCursor = { key: lastTimestamped.key, timestamp: lastTimestamped.timestamp.toISOString() };
  }
  if (input.snapshot) next.snapshot = input.snapshot;
  // Baselines for the next run's drift detection and row_count_change (docs/data-checks.md).
  if (plan.schemaDrift && plan.schemaDrift.columns.length > 0) {
    next.sourceSchema = {
      columns: plan.schemaDrift.columns.map((c) => ({ ...c })),
      header: plan.schemaDrift.header,
    };
  }
  if (plan.checkedRows !== undefined) next.rowCount = plan.checkedRows;
  if (plan.orphansKept?.length) next.orphans = plan.orphansKept;
  else delete next.orphans;
  return next;
}
