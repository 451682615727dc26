/**
 * One pipeline, planned or applied. The order is the safety argument:
 *
 *   read state → (apply: lock) → list source → select files → compile steps → execute read-only
 *   steps in a sandboxed temp dir → (apply: journal the run time → upload + verify → commit state
 *   atomically → clear journal) → unlock, clean up.
 *
 * A failure anywhere leaves state.json and the snapshot untouched; the failure is recorded in the
 * pipeline's runs/ log. A retry of the same inputs reuses the journaled run id and time, so output
 * keys come out the same and nothing is duplicated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Pipeline, Project } from '../config/model.js';
import { createDuckDbSession } from '../duckdb/create-duckdb-session.js';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { failpoint } from '../io/failpoint.js';
import { listObjects } from '../io/s3/list-objects.js';
import { createRunTempDir } from '../io/temp-dir.js';
import { compileSteps } from '../plan/compile-plan.js';
import { configFingerprint, configSnapshot, diffConfig } from '../plan/diff-config.js';
import { nextRuns } from '../plan/next-runs.js';
import { WRITING_STEPS, type PipelinePlan } from '../plan/plan-model.js';
import { selectFiles, type FileSelection, type ListedObject } from '../plan/select-files.js';
import type { LocalStateStore } from '../state/local-state-store.js';
import { emptyCounts, type PipelineState, type RunRecord } from '../state/pipeline-state.js';
import { executeStep } from '../steps/execute-step.js';
import { CREATE_REJECTED_ROWS_TABLE, exportRejectedRows } from '../steps/rejected-rows.js';
import { checkSavedPlan, stateFingerprint } from './check-saved-plan.js';
import { nextState, prunedProcessed } from './next-pipeline-state.js';
import { readDatasetContext, type DatasetOverlay } from './read-dataset-context.js';

export type { DatasetOverlay } from './read-dataset-context.js';
import { checkOutputsAbsent } from './check-outputs-absent.js';
import { locateFailure } from './locate-failure.js';
import type { S3Access, StepContext } from '../steps/step-context.js';

export interface RunPipelineOptions {
  project: Project;
  pipeline: Pipeline;
  mode: 'plan' | 'apply';
  store: LocalStateStore;
  s3: (connection: string) => S3Access;
  now: Date;
  /** Root for the run's temp dir (default: the OS temp dir). */
  tempRoot?: string;
  memoryLimit?: string;
  /**
   * plan only: dataset versions that pipelines planned earlier in this run would create, so readers
   * are planned against what apply will give them (dataset → absolute Parquet path and version).
   */
  datasetOverlays?: ReadonlyMap<string, DatasetOverlay>;
  /** plan only: called with the dataset version this pipeline would create, before its temp dir goes. */
  onPlannedDatasetVersion?: (version: DatasetOverlay & { dataset: string; path: string }) => Promise<void>;
  /** apply --plan: the saved plan of this pipeline; apply refuses (PLAN_STALE) if it no longer holds. */
  savedPlan?: Pick<PipelinePlan, 'runId' | 'runTime' | 'fingerprints'>;
  /**
   * Aborted: stop before the next step (RUN_INTERRUPTED, state untouched). Once uploading has begun
   * the run finishes its upload and commit instead, so no output is left without its state.
   */
  signal?: AbortSignal;
}

/** The error of a run stopped by a signal; `where` says how far it got. */
export function interruption(signal: AbortSignal, where: string): FerryError {
  const name = typeof signal.reason === 'string' ? signal.reason : 'a stop request';
  return new FerryError('RUN_INTERRUPTED', `Stopped by ${name} ${where}; nothing was committed.`, {
    hint: 'Run `ferry apply` again: it starts over from the committed state, and nothing is duplicated.',
  });
}

interface PendingRun {
  fingerprint: string;
  runId: string;
  runTime: string;
}

export function createRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
}

function inputFingerprint(pipeline: Pipeline, selection: FileSelection): string {
  const inputs = selection.selected.map((c) => [c.key, c.etag, c.size]);
  return createHash('sha256')
    .update(JSON.stringify([configFingerprint(pipeline), inputs]))
    .digest('hex');
}

async function readPending(dir: string): Promise<PendingRun | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'pending.json'), 'utf8')) as PendingRun;
  } catch {
    return undefined;
  }
}

export async function runPipeline(options: RunPipelineOptions): Promise<PipelinePlan> {
  const { pipeline, store, mode } = options;
  const started = Date.now();
  const state = await store.readPipelineState(pipeline.name);
  const lock =
    mode === 'apply'
      ? await store.acquireLock(pipeline.name, { runId: createRunId(options.now) })
      : undefined;
  let plan: PipelinePlan | undefined;
  let datasetLock: Awaited<ReturnType<LocalStateStore['acquireDatasetLock']>> | undefined;
  try {
    if (mode === 'apply' && pipeline.sink.kind === 'dataset') {
      datasetLock = await store.acquireDatasetLock(pipeline.sink.dataset, {
        runId: createRunId(options.now),
      });
    }
    if (lock) failpoint('after-lock');
    const result = await planAndExecute(options, state, (p) => (plan = p));
    if (lock) failpoint('after-commit');
    return result;
  } catch (error) {
    const location = await locateFailure(error, pipeline);
    const described = { ...describeFailure(error), ...(location !== undefined ? { location } : {}) };
    if (mode === 'apply') {
      const failure: RunRecord = {
        runId: plan?.runId ?? createRunId(options.now),
        status: 'failed',
        startedAt: options.now.toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - started,
        counts: plan?.counts ?? emptyCounts(),
        outputs: [],
        ...(plan?.rejectedRowsFile !== undefined ? { rejectedRowsFile: plan.rejectedRowsFile } : {}),
        error: described,
      };
      await store.writeRunRecord(pipeline.name, failure).catch(() => undefined);
    }
    // What the run had found before it failed (files, counts, rejects) stays in the report.
    if (plan) return { ...plan, outputs: [], status: 'error', error: described };
    throw error;
  } finally {
    await datasetLock?.release();
    await lock?.release();
  }
}

async function planAndExecute(
  options: RunPipelineOptions,
  state: PipelineState,
  onPlan: (plan: PipelinePlan) => void,
): Promise<PipelinePlan> {
  const { pipeline, project, store, mode, now } = options;
  const source = pipeline.source;
  let listing: ListedObject[] = [];
  let selection: FileSelection = {
    listed: 0,
    matched: 0,
    selected: [],
    changed: [],
    skipped: [],
    warnings: [],
  };
  if (source.kind === 's3') {
    const { client } = options.s3(source.connection);
    listing = await listObjects(client, {
      connection: source.connection,
      bucket: source.bucket,
      prefix: source.prefix,
    });
    selection = selectFiles(source, listing, state, { now, timezone: project.defaults.timezone });
  }
  const datasets = await readDatasetContext(pipeline, project, store, state, options.datasetOverlays);
  const fingerprint = inputFingerprint(pipeline, selection);
  // Read in plan mode too (read-only): a plan after a failed apply must show the keys the retry writes.
  const pending = await readPending(store.pipelineDir(pipeline.name));
  const resumed = pending?.fingerprint === fingerprint ? pending : undefined;
  const fingerprints = {
    config: configFingerprint(pipeline),
    state: stateFingerprint(state),
    inputs: selection.selected.map((c): [string, string, number] => [c.key, c.etag, c.size]),
  };
  if (options.savedPlan) checkSavedPlan(pipeline.name, options.savedPlan.fingerprints, fingerprints);
  // A saved plan fixes the run id and time, so apply writes exactly the keys the plan showed.
  const runId = options.savedPlan?.runId ?? resumed?.runId ?? createRunId(now);
  const runTime = options.savedPlan
    ? new Date(options.savedPlan.runTime)
    : resumed
      ? new Date(resumed.runTime)
      : now;
  const steps = compileSteps(pipeline, selection);

  const counts = emptyCounts();
  counts.filesMatched = selection.matched;
  counts.filesNew = selection.selected.length;
  counts.filesSkipped = selection.skipped.length;
  const applied = state.appliedConfig;
  const plan: PipelinePlan = {
    pipeline: pipeline.name,
    ...(pipeline.description !== undefined ? { description: pipeline.description } : {}),
    runId,
    runTime: runTime.toISOString(),
    selection,
    steps,
    ...(pipeline.schedule
      ? {
          schedule: {
            description: pipeline.schedule.description,
            next: nextRuns(pipeline.schedule, now).map((d) => d.toISOString()),
          },
        }
      : {}),
    configChanges: applied === undefined ? [] : diffConfig(applied, configSnapshot(pipeline)),
    firstApply: applied === undefined,
    counts,
    outputs: [],
    rejects: [],
    fingerprints,
    warnings: selection.warnings.map((w) => ({ code: w.code, message: w.message })),
    sql: [],
    status: 'no-changes',
  };
  onPlan(plan);

  if (steps.length === 0) {
    if (
      mode === 'apply' &&
      (plan.firstApply ||
        plan.configChanges.length > 0 ||
        prunedProcessed(state, listing).length !== state.processed.length)
    ) {
      await store.commitPipelineState(
        pipeline.name,
        nextState(state, pipeline, plan, listing, undefined, started(now)),
      );
    }
    plan.status = plan.firstApply || plan.configChanges.length ? 'changes' : 'no-changes';
    return plan;
  }

  const temp = await createRunTempDir({ ...(options.tempRoot ? { root: options.tempRoot } : {}), runId });
  const session = await createDuckDbSession({
    tempDir: temp.path,
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
  });
  // The failure path needs the context (its rejected rows) once there is one.
  let contextForFailure: StepContext | undefined;
  try {
    await session.run(CREATE_REJECTED_ROWS_TABLE);
    let previousSnapshot: string | undefined;
    if (state.snapshot && pipeline.diff) {
      previousSnapshot = join(temp.path, 'previous-snapshot.parquet');
      await copyFile(store.snapshotPath(pipeline.name, state.snapshot.file), previousSnapshot);
    }
    const context: StepContext = {
      mode,
      pipeline,
      project,
      runId,
      runTime,
      tempDir: temp.path,
      session,
      s3: options.s3,
      state,
      ...(previousSnapshot ? { previousSnapshot } : {}),
      ...(datasets ? { datasets } : {}),
      selected: selection.selected,
      fetched: [],
      sourceColumns: [],
      columns: [],
      outputs: [],
      counts,
      rejects: plan.rejects,
      warnings: plan.warnings,
      sql: plan.sql,
    };
    contextForFailure = context;
    const pipelineDir = store.pipelineDir(pipeline.name);
    for (const step of steps) {
      if (step.kind === 'upload') {
        await checkOutputsAbsent({
          pipeline: pipeline.name,
          runId,
          outputs: context.outputs,
          defaultConnection: step.connection,
          s3: options.s3,
        });
      }
      if (mode === 'plan' && WRITING_STEPS.has(step.kind)) break;
      if (options.signal?.aborted && step.kind !== 'commit-state') {
        throw interruption(options.signal, `before the ${step.kind} step`);
      }
      if (mode === 'apply' && step.kind === 'commit-state') {
        await keepRejectedRows(context, store, plan);
      }
      if (step.kind === 'upload' && context.outputs.length > 0) {
        // Journal the run time first: a retry after a failure renders the same keys. Written aside and
        // renamed, so a crash mid-write cannot leave a torn journal (which would mean new keys).
        const journal = join(pipelineDir, 'pending.json');
        await writeFile(
          `${journal}.tmp`,
          JSON.stringify({ fingerprint, runId, runTime: runTime.toISOString() }) + '\n',
        );
        await rename(`${journal}.tmp`, journal);
      }
      await executeStep(context, step, {
        commitState: async () => {
          plan.outputs = publicOutputs(context.outputs);
          if (datasets?.pendingVersion) {
            const pending = datasets.pendingVersion;
            const dataset = project.datasets[pending.dataset];
            const manifest = datasets.manifests.get(pending.dataset);
            if (dataset && manifest) {
              await datasets.store.commitVersion(manifest, {
                from: pending.path,
                rows: pending.rows,
                version: pending.version,
                pipeline: pipeline.name,
                runId,
                keepVersions: dataset.keepVersions,
              });
              failpoint('between-commits');
            }
          }
          const snapshotFile = context.newSnapshot ? `snapshot-${runId}.parquet` : undefined;
          const next = nextState(
            state,
            pipeline,
            plan,
            listing,
            snapshotFile
              ? {
                  file: snapshotFile,
                  rows: context.newSnapshot?.rows ?? 0,
                  key: context.newSnapshot?.key ?? null,
                }
              : undefined,
            started(now),
          );
          if (datasets && source.kind === 'dataset') {
            next.exportWatermarks = { ...state.exportWatermarks, ...datasets.nextWatermarks };
          }
          await store.commitPipelineState(
            pipeline.name,
            next,
            context.newSnapshot ? { snapshotFrom: context.newSnapshot.path } : {},
          );
          await rm(join(pipelineDir, 'pending.json'), { force: true });
          await store.writeRunRecord(pipeline.name, next.lastSuccessfulRun as RunRecord);
        },
      });
      if (mode === 'apply' && step.kind === 'fetch') failpoint('after-download');
      if (step.kind === 'upload') failpoint('after-upload');
    }
    plan.outputs = publicOutputs(context.outputs);
    if (datasets?.effect) plan.dataset = datasets.effect;
    const datasetChanges = datasets?.effect
      ? datasets.effect.created + datasets.effect.updated + datasets.effect.deleted
      : 0;
    plan.status =
      plan.outputs.length > 0 ||
      datasetChanges > 0 ||
      selection.selected.length > 0 ||
      plan.configChanges.length > 0 ||
      plan.firstApply
        ? 'changes'
        : 'no-changes';
    if (mode === 'plan' && datasets?.pendingVersion && options.onPlannedDatasetVersion) {
      const pending = datasets.pendingVersion;
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
    // A failed run keeps its rejected rows too: over max_rejects is when they matter most.
    if (mode === 'apply' && contextForFailure)
      await keepRejectedRows(contextForFailure, store, plan).catch(() => undefined);
    throw error;
  } finally {
    session.close();
    await temp.cleanup();
  }
}

/** Moves the run's rejected rows (if any) beside its run record: runs/<run>.rejected.csv. */
async function keepRejectedRows(
  context: StepContext,
  store: LocalStateStore,
  plan: PipelinePlan,
): Promise<void> {
  if (plan.rejectedRowsFile !== undefined) return;
  const exported = await exportRejectedRows(context);
  if (!exported) return;
  const dir = join(store.pipelineDir(plan.pipeline), 'runs');
  await mkdir(dir, { recursive: true });
  await copyFile(exported.path, join(dir, `${plan.runId}.rejected.csv`));
  // Shown relative to the project directory (state/pipelines/…), where people run ferry.
  plan.rejectedRowsFile = relative(context.project.directory, join(dir, `${plan.runId}.rejected.csv`));
}

function started(now: Date): number {
  return now.getTime();
}

/** Outputs as the plan reports them (no local paths). */
function publicOutputs(outputs: StepContext['outputs']): PipelinePlan['outputs'] {
  return outputs.map(({ bucket, key, format, rows, bytes }) => ({ bucket, key, format, rows, bytes }));
}

/** An error as a plan and a run record report it: code, message, hint; never a stack for ours. */
export function describeFailure(error: unknown): { code: string; message: string; hint?: string } {
  if (isFerryError(error))
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return {
    code: 'INTERNAL',
    message: `Internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  };
}
