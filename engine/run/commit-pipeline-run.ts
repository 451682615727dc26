/**
 * The end of a successful apply: the run's outputs are uploaded and verified; now orphans of earlier
 * runs are removed, and the dataset version, the pipeline state and the run record are committed
 * through the state layer's commit protocol (state/run-commit.ts).
 */
import type { PipelinePlan } from '../plan/plan-model.js';
import type { PipelineState } from '../state/pipeline-state.js';
import type { StepContext } from '../steps/step-context.js';
import { nextState, runRecordOf } from './next-pipeline-state.js';
import type { PreparedRun } from './prepare-pipeline-run.js';
import { removeOrphans } from './remove-orphans.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export async function commitPipelineRun(
  options: RunPipelineOptions,
  prepared: PreparedRun,
  context: StepContext,
): Promise<void> {
  const { pipeline, project } = options;
  const { plan, commit, datasets } = prepared;
  plan.outputs = publicOutputs(context.outputs);
  await settleOrphans(options, plan);
  const finishedAt = new Date();
  const record = {
    ...runRecordOf(plan, commit.identity, { startedAt: options.now, finishedAt }, 'succeeded'),
    ...orphansOf(plan),
  };
  const next = nextState({
    state: commit.read.state,
    pipeline,
    plan,
    listing: prepared.listing,
    snapshot: context.newSnapshot
      ? {
          file: `snapshot-${commit.identity.attemptId}.parquet`,
          rows: context.newSnapshot.rows,
          key: context.newSnapshot.key,
        }
      : undefined,
    record,
    finishedAt,
    exportFingerprint: prepared.exportFingerprint,
  });
  if (datasets && pipeline.source.kind === 'dataset') {
    next.exportWatermarks = { ...commit.read.state.exportWatermarks, ...datasets.nextWatermarks };
  }
  const pending = datasets?.pendingVersion;
  const manifest = pending ? datasets?.manifests.get(pending.dataset) : undefined;
  const dataset = pending ? project.datasets[pending.dataset] : undefined;
  await commit.commit({
    next,
    ...(context.newSnapshot ? { snapshotFrom: context.newSnapshot.path } : {}),
    ...(pending && manifest && dataset
      ? {
          dataset: {
            name: pending.dataset,
            manifest,
            from: pending.path,
            rows: pending.rows,
            version: pending.version,
            keepVersions: dataset.keepVersions,
          },
        }
      : {}),
    record,
  });
}

/**
 * A run with nothing to execute still commits when its bookkeeping changed: the first apply, a
 * configuration change, source objects that disappeared, or orphans removed.
 */
export async function commitBookkeeping(options: RunPipelineOptions, prepared: PreparedRun): Promise<void> {
  const { plan, commit } = prepared;
  const state = commit.read.state;
  const listed = new Set(prepared.listing.map((o) => o.key));
  const pruned = [...state.processed, ...(state.quarantined ?? [])].some((p) => !listed.has(p.key));
  if (!(plan.firstApply || plan.configChanges.length > 0 || pruned || (plan.orphans?.length ?? 0) > 0))
    return;
  await settleOrphans(options, plan);
  const next: PipelineState = nextState({
    state,
    pipeline: options.pipeline,
    plan,
    listing: prepared.listing,
    snapshot: undefined,
    record: undefined,
    finishedAt: new Date(),
    exportFingerprint: prepared.exportFingerprint,
  });
  await commit.commit({ next });
}

async function settleOrphans(options: RunPipelineOptions, plan: PipelinePlan): Promise<void> {
  if (!plan.orphans?.length) return;
  const outcome = await removeOrphans(options.pipeline.name, plan.orphans, options.s3);
  plan.orphansKept = outcome.kept;
  plan.orphansDeleted = outcome.deleted;
}

function orphansOf(plan: PipelinePlan): {
  orphans?: {
    deleted: NonNullable<PipelinePlan['orphansDeleted']>;
    kept: NonNullable<PipelinePlan['orphansKept']>;
  };
} {
  if (!plan.orphans?.length) return {};
  return { orphans: { deleted: plan.orphansDeleted ?? [], kept: plan.orphansKept ?? [] } };
}

/** Outputs as the plan reports them (no local paths). */
export function publicOutputs(outputs: StepContext['outputs']): PipelinePlan['outputs'] {
  return outputs.map(({ bucket, key, format, rows, bytes }) => ({ bucket, key, format, rows, bytes }));
}
