/**
 * One pipeline, planned or applied. The order is the safety argument:
 *
 *   (apply: lock the pipeline and its sink dataset) → read state → list and select → assemble the
 *   plan → execute the read-only steps in a sandboxed temp dir → (apply: journal the output keys →
 *   upload and verify → remove orphans → commit dataset, state and record, each conditional on what
 *   was read → clear the journal) → unlock, clean up.
 *
 * State is read only under the lock, and every commit is a compare-and-swap on what was read, so two
 * runs can never both commit the same files (I4). A failure anywhere leaves state untouched and is
 * recorded in its own run record; a retry of the same inputs reuses the journaled run id and time, so
 * output keys come out the same and nothing is duplicated (I2, I3).
 */
import { randomUUID } from 'node:crypto';
import { failpoint } from '../io/failpoint.js';
import { assemblePipelinePlan, emptySelection } from '../plan/assemble-pipeline-plan.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import { emptyPipelineState } from '../state/pipeline-state.js';
import type { HeldLock } from '../state/state-lock.js';
import { allowedGuards } from './check-guards.js';
import { commitBookkeeping } from './commit-pipeline-run.js';
import { quarantineRefusedFiles } from './quarantine-refused-files.js';
import { describeFailure } from './describe-failure.js';
import { executePipelineSteps } from './execute-pipeline-steps.js';
import { locateFailure } from './locate-failure.js';
import { runRecordOf } from './next-pipeline-state.js';
import { preparePipelineRun, type PreparedRun } from './prepare-pipeline-run.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export type { RunPipelineOptions } from './run-pipeline-options.js';
export type { DatasetOverlay } from './read-dataset-context.js';
export { describeFailure, interruption } from './describe-failure.js';

export function createRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
}

export async function runPipeline(options: RunPipelineOptions): Promise<PipelinePlan> {
  const { pipeline, store, mode } = options;
  const attemptId = createRunId(options.now);
  const startedMs = Date.now();
  options.onEvent?.({
    type: 'run-start',
    pipeline: pipeline.name,
    runId: attemptId,
    mode,
    at: options.now.toISOString(),
  });
  const locks: HeldLock[] = [];
  let prepared: PreparedRun | undefined;
  try {
    if (mode === 'apply') {
      const lockOptions = { runId: attemptId, ...options.lock };
      locks.push(await store.acquirePipelineLock(pipeline.name, lockOptions));
      if (pipeline.sink.kind === 'dataset') {
        locks.push(await store.acquireDatasetLock(pipeline.sink.dataset, lockOptions));
      }
      failpoint('after-lock');
    }
    // Only now, under the lock: what this run reads is what it commits against.
    const read = await store.readPipelineState(pipeline.name);
    await options.afterStateRead?.();
    prepared = await preparePipelineRun({
      project: options.project,
      pipeline,
      store,
      read,
      s3: options.s3,
      now: options.now,
      attemptId,
      datasetOverlays: options.datasetOverlays,
      savedPlan: options.savedPlan,
      allow: allowedGuards(options),
    });
    const { plan } = prepared;
    plan.attemptId = attemptId;
    if (prepared.commit.identity.retryOf !== undefined) plan.retryOf = prepared.commit.identity.retryOf;
    for (const warning of plan.warnings) {
      options.onEvent?.({ type: 'warning', pipeline: pipeline.name, runId: attemptId, ...warning });
    }
    const assertLocked = async () => {
      for (const lock of locks) await lock.assertHeld();
    };
    let result: PipelinePlan;
    if (plan.steps.length === 0) {
      if (mode === 'apply') {
        await assertLocked();
        await commitBookkeeping(options, prepared);
      }
      plan.status =
        plan.firstApply || plan.configChanges.length || plan.orphans?.length ? 'changes' : 'no-changes';
      result = plan;
    } else {
      result = await executePipelineSteps(options, prepared, assertLocked);
    }
    if (mode === 'apply') {
      failpoint('after-commit');
      // A run that found nothing to do commits nothing; the schedule still needs to know it ran.
      if (result.status !== 'error') {
        await store
          .writeLastRun(pipeline.name, {
            runId: attemptId,
            startedAt: options.now.toISOString(),
            finishedAt: new Date().toISOString(),
          })
          .catch(() => undefined);
      }
    }
    emitRunEnd(options, result, startedMs);
    return result;
  } catch (error) {
    const location = await locateFailure(error, pipeline);
    const described = { ...describeFailure(error), ...(location !== undefined ? { location } : {}) };
    const plan = prepared?.plan ?? failedPlan(options, attemptId);
    if (mode === 'apply' && prepared) {
      const held = prepared;
      await quarantineRefusedFiles(options, held, error, async () => {
        for (const lock of locks) await lock.assertHeld();
      }).catch((cause: unknown) => {
        // The refusal stands; only its bookkeeping failed (the next run refuses again).
        plan.warnings.push({ code: 'QUARANTINE_NOT_RECORDED', message: describeFailure(cause).message });
      });
    }
    if (mode === 'apply') await recordFailure(options, prepared, plan, described);
    const failed: PipelinePlan = { ...plan, outputs: [], status: 'error', error: described };
    emitRunEnd(options, failed, startedMs);
    return failed;
  } finally {
    for (const lock of locks.reverse()) await lock.release();
  }
}

/** Every attempt leaves a record, failed ones too; a retry's record links to the attempt before it. */
async function recordFailure(
  options: RunPipelineOptions,
  prepared: PreparedRun | undefined,
  plan: PipelinePlan,
  error: NonNullable<PipelinePlan['error']>,
): Promise<void> {
  const identity = prepared?.commit.identity ?? {
    runId: plan.runId,
    runTime: new Date(plan.runTime),
    attemptId: plan.attemptId ?? plan.runId,
  };
  const record = {
    ...runRecordOf(
      { ...plan, outputs: [] },
      identity,
      { startedAt: options.now, finishedAt: new Date() },
      'failed',
    ),
    error,
  };
  await options.store.writeRunRecord(options.pipeline.name, record).catch(() => undefined);
}

/** The plan of a pipeline that failed before it could be planned (state unreadable, lock held…). */
function failedPlan(options: RunPipelineOptions, attemptId: string): PipelinePlan {
  const plan = assemblePipelinePlan({
    pipeline: options.pipeline,
    selection: emptySelection(),
    state: emptyPipelineState(options.pipeline.name),
    runId: attemptId,
    runTime: options.now,
    now: options.now,
    orphans: [],
  });
  return {
    ...plan,
    attemptId,
    steps: [],
    configChanges: [],
    firstApply: false,
    fingerprints: { config: '', state: '', inputs: [] },
  };
}

function emitRunEnd(options: RunPipelineOptions, plan: PipelinePlan, startedMs: number): void {
  options.onEvent?.({
    type: 'run-end',
    pipeline: plan.pipeline,
    runId: plan.attemptId ?? plan.runId,
    status: plan.status === 'error' ? 'failed' : plan.status === 'changes' ? 'succeeded' : 'no-changes',
    durationMs: Date.now() - startedMs,
    counts: { ...plan.counts },
    ...(plan.error ? { error: { code: plan.error.code, message: plan.error.message } } : {}),
  });
}
