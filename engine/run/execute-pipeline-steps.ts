/**
 * Executes a prepared run's steps in a sandboxed temp dir: every read-only step in plan and apply
 * alike; in apply also the writing ones — journal the output keys, upload and verify, then commit
 * (commit-pipeline-run.ts). A failure leaves state as it was and keeps the run's rejected rows.
 */
import { join } from 'node:path';
import { createDuckDbSession } from '../duckdb/create-duckdb-session.js';
import { failpoint } from '../io/failpoint.js';
import { createRunTempDir } from '../io/temp-dir.js';
import { planStatus } from '../plan/assemble-pipeline-plan.js';
import { WRITING_STEPS, type PipelinePlan, type Step } from '../plan/plan-model.js';
import type { StateStore } from '../state/state-store.js';
import { executeStep } from '../steps/execute-step.js';
import { settleDatasetPrefetch } from '../steps/prefetch-dataset-version.js';
import { CREATE_REJECTED_ROWS_TABLE, exportRejectedRows } from '../steps/rejected-rows.js';
import type { StepContext } from '../steps/step-context.js';
import { commitPipelineRun, publicOutputs } from './commit-pipeline-run.js';
import { checkGuards } from './check-guards.js';
import { checkOutputsAbsent } from './check-outputs-absent.js';
import { chooseDuckDbStorage } from './choose-duckdb-storage.js';
import { chooseDuckDbThreads } from './choose-duckdb-threads.js';
import type { PreparedRun } from './prepare-pipeline-run.js';
import { interruption } from './describe-failure.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export async function executePipelineSteps(
  options: RunPipelineOptions,
  prepared: PreparedRun,
  lockHeld: () => Promise<void>,
): Promise<PipelinePlan> {
  const { pipeline, project, mode, store } = options;
  const { plan, commit } = prepared;
  const { runId, runTime } = commit.identity;
  const temp = await createRunTempDir({ ...(options.tempRoot ? { root: options.tempRoot } : {}), runId });
  const threads = chooseDuckDbThreads({
    pipeline,
    selected: prepared.selection.selected,
    state: commit.read.state,
    ...(prepared.datasets ? { datasets: prepared.datasets } : {}),
  });
  const storage = chooseDuckDbStorage({
    selected: prepared.selection.selected,
    memoryBytes: project.limits.memoryBytes,
  });
  const session = await createDuckDbSession({
    tempDir: temp.path,
    ...storage,
    ...(threads !== undefined ? { threads } : {}),
    memoryLimit: options.memoryLimit ?? `${project.limits.memoryBytes} bytes`,
    tempDiskBytes: project.limits.tempDiskBytes,
    queryTimeoutMs: project.limits.queryTimeoutMs,
    pipeline: pipeline.name,
  });
  const context: StepContext = {
    mode,
    pipeline,
    project,
    runId,
    runTime,
    tempDir: temp.path,
    session,
    ...(storage.databaseFile === undefined ? {} : { largeRun: true }),
    s3: options.s3,
    pgp: options.pgp,
    state: commit.read.state,
    ...(prepared.datasets ? { datasets: prepared.datasets } : {}),
    selected: prepared.selection.selected,
    fetched: [],
    sourceColumns: [],
    columns: [],
    outputs: [],
    counts: plan.counts,
    rejects: plan.rejects,
    warnings: plan.warnings,
    sql: plan.sql,
    findings: plan,
  };
  try {
    await session.run(CREATE_REJECTED_ROWS_TABLE);
    const { state } = commit.read;
    if (state.snapshot && pipeline.diff) {
      context.previousSnapshot = join(temp.path, 'previous-snapshot.parquet');
      await store.fetchSnapshot(pipeline.name, state.snapshot.file, context.previousSnapshot);
    }
    let guarded = false;
    for (const step of plan.steps) {
      if (!guarded && WRITING_STEPS.has(step.kind)) {
        // Every read-only step has run, nothing is written yet: the place to refuse (docs/guards.md).
        guarded = true;
        checkGuards(options, prepared, context);
      }
      if (mode === 'plan' && WRITING_STEPS.has(step.kind)) {
        // What the writing steps would meet: an output key another run wrote is reported in plan too.
        if (step.kind === 'upload') await checkOutputs(options, context, step);
        continue;
      }
      if (options.signal?.aborted && step.kind !== 'commit-state') {
        throw interruption(options.signal, `before the ${step.kind} step`);
      }
      const startedMs = Date.now();
      if (step.kind === 'upload') {
        await checkOutputs(options, context, step);
        if (context.outputs.length > 0) {
          // Journal the keys first: a retry renders the same keys, a later run with other inputs removes them.
          await commit.journal(
            context.outputs.map((o) => ({
              connection: o.connection ?? step.connection,
              bucket: o.bucket,
              key: o.key,
              runId,
            })),
          );
        }
      }
      await executeStep(context, step, {
        commitState: async () => {
          await keepRejectedRows(context, store, plan);
          await lockHeld();
          await commitPipelineRun(options, prepared, context);
        },
      });
      emitStepEnd(options, plan, step, Date.now() - startedMs);
      if (mode === 'apply' && step.kind === 'fetch') failpoint('after-download');
      if (step.kind === 'upload') failpoint('after-upload');
    }
    plan.outputs = publicOutputs(context.outputs);
    if (prepared.datasets?.effect) plan.dataset = prepared.datasets.effect;
    plan.status = planStatus(plan);
    if (mode === 'plan' && prepared.datasets?.pendingVersion && options.onPlannedDatasetVersion) {
      const pending = prepared.datasets.pendingVersion;
      await options.onPlannedDatasetVersion({
        dataset: pending.dataset,
        path: pending.path,
        version: pending.version,
        rows: pending.rows,
        file: pending.path,
      });
    }
    return plan;
  } catch (error) {
    // What the run had found (counts, rejects, warnings) stays in the report; its rejected rows are kept.
    plan.outputs = [];
    if (mode === 'apply') await keepRejectedRows(context, store, plan).catch(() => undefined);
    throw error;
  } finally {
    session.close();
    await settleDatasetPrefetch(context);
    await temp.cleanup();
  }
}

async function checkOutputs(
  options: RunPipelineOptions,
  context: StepContext,
  step: Extract<Step, { kind: 'upload' }>,
): Promise<void> {
  await checkOutputsAbsent({
    pipeline: options.pipeline.name,
    runId: context.runId,
    outputs: context.outputs,
    defaultConnection: step.connection,
    s3: options.s3,
  });
}

function emitStepEnd(options: RunPipelineOptions, plan: PipelinePlan, step: Step, durationMs: number): void {
  if (!options.onEvent) return;
  const c = plan.counts;
  const rows: Partial<Record<Step['kind'], number>> = {
    load: c.rowsRead,
    diff: c.rowsAdded + c.rowsChanged,
    'merge-dataset': c.rowsWritten,
  };
  const n = rows[step.kind];
  options.onEvent({
    type: 'step-end',
    pipeline: plan.pipeline,
    runId: plan.attemptId ?? plan.runId,
    step: step.kind,
    durationMs,
    ...(n !== undefined ? { rows: n } : {}),
    ...(step.kind === 'upload' ? { objects: c.objectsWritten } : {}),
  });
}

/** Keeps the run's rejected rows (if any) beside its run record: runs/<attempt>.rejected.csv. */
async function keepRejectedRows(context: StepContext, store: StateStore, plan: PipelinePlan): Promise<void> {
  if (plan.rejectedRowsFile !== undefined || context.mode !== 'apply') return;
  const exported = await exportRejectedRows(context);
  if (!exported) return;
  plan.rejectedRowsFile = await store.keepRejectedRows(
    plan.pipeline,
    plan.attemptId ?? plan.runId,
    exported.path,
  );
}
