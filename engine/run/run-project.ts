/**
 * plan / apply over a loaded project: one S3 client per connection (secrets resolved here, only
 * here), one state store, every selected pipeline in dependency order (dataset writers before their
 * readers). A failing pipeline is reported and does not stop the others; its state stays as it was.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pipeline, Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { createS3Client } from '../io/s3/create-s3-client.js';
import { createRunTempDir, sweepRunTempDirs } from '../io/temp-dir.js';
import { assemblePipelinePlan, emptySelection } from '../plan/assemble-pipeline-plan.js';
import { orderPipelines } from '../plan/order-pipelines.js';
import { PLAN_FORMAT_VERSION, type Plan, type PipelinePlan } from '../plan/plan-model.js';
import { emptyPipelineState } from '../state/pipeline-state.js';
import type { StateStore } from '../state/state-store.js';
import type { S3Access } from '../steps/step-context.js';
import { describeFailure, interruption } from './describe-failure.js';
import { openStateStore } from './open-state-store.js';
import { resolveConnection } from './resolve-connection.js';
import { createPgpKeyAccess } from './resolve-pgp-keys.js';
import type { RunEvent } from './run-events.js';
import { createRunId, runPipeline, type DatasetOverlay } from './run-pipeline.js';
import type { RunPipelineOptions } from './run-pipeline-options.js';

export interface RunProjectOptions {
  project: Project;
  pipelines: readonly Pipeline[];
  mode: 'plan' | 'apply';
  env: NodeJS.ProcessEnv;
  now?: Date;
  /** Only these pipelines (by name). A name that is not configured is an UNKNOWN_PIPELINE error. */
  only?: readonly string[];
  tempRoot?: string;
  /** apply --plan: only the pipelines in this saved plan, each checked against it first. */
  savedPlan?: Plan;
  /** Stop before the next step when aborted (the reason names the signal); see interruption(). */
  signal?: AbortSignal;
  /** `--allow NAME`: guards every pipeline of this run lets through when they trip (docs/guards.md). */
  allow?: ReadonlySet<string>;
  /** Progress of every pipeline run (logs, metrics). */
  onEvent?: (event: RunEvent) => void;
  /** A state store to use instead of the project's (tests; serve keeps one open). */
  store?: StateStore;
  /** Per-pipeline extras for tests (interleavings, lock clocks, DuckDB's memory_limit apart from limits.memory). */
  pipelineOptions?: Pick<RunPipelineOptions, 'afterStateRead' | 'lock' | 'memoryLimit'>;
}

/** The S3 clients of one project run, made on first use: secrets are resolved here and nowhere else. */
export function createS3Access(
  project: Project,
  env: NodeJS.ProcessEnv,
): {
  s3: (connection: string) => S3Access;
  destroy: () => void;
} {
  const clients = new Map<string, S3Access>();
  return {
    s3: (name) => {
      let access = clients.get(name);
      if (!access) {
        const connection = project.connections[name];
        if (!connection) throw new FerryError('CONFIG_UNKNOWN_CONNECTION', `Unknown connection "${name}".`);
        const settings = resolveConnection(connection, { env, projectDir: project.directory });
        access = { settings, client: createS3Client(settings) };
        clients.set(name, access);
      }
      return access;
    },
    destroy: () => {
      for (const access of clients.values()) access.client.destroy();
    },
  };
}

export async function runProject(options: RunProjectOptions): Promise<Plan> {
  const { project } = options;
  const now = options.now ?? new Date();
  const access = createS3Access(project, options.env);
  const store = options.store ?? openStateStore(project, { s3: access.s3 });
  const pgp = createPgpKeyAccess({ project, env: options.env });
  const unknown = (options.only ?? []).filter((n) => !options.pipelines.some((p) => p.name === n));
  if (unknown.length) {
    throw new FerryError(
      'UNKNOWN_PIPELINE',
      `No pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}.`,
      {
        hint: `Pipelines: ${options.pipelines.map((p) => p.name).join(', ')}.`,
      },
    );
  }
  const saved = new Map((options.savedPlan?.pipelines ?? []).map((p) => [p.pipeline, p]));
  if (options.savedPlan) {
    const missing = [...saved.keys()].filter((name) => !options.pipelines.some((p) => p.name === name));
    if (missing.length) {
      throw new FerryError(
        'PLAN_STALE',
        `The saved plan names pipeline(s) that no longer exist: ${missing.join(', ')}.`,
        {
          hint: 'Run `ferry plan --out FILE` again.',
        },
      );
    }
  }
  const wanted = (p: Pipeline) =>
    options.savedPlan ? saved.has(p.name) : options.only?.length ? options.only.includes(p.name) : true;
  const selected = orderPipelines(options.pipelines.filter(wanted));
  const results: PipelinePlan[] = [];
  // plan: a dataset version one pipeline would create is what later pipelines read, as in apply.
  const overlays = new Map<string, DatasetOverlay>();
  // Temp dirs of runs that died (killed, out of memory) go first; this plan's own dir is marked too.
  // (Once per run: the temp dirs created below do not sweep again.)
  await sweepRunTempDirs(options.tempRoot ? { root: options.tempRoot } : {});
  const overlayTemp =
    options.mode === 'plan'
      ? await createRunTempDir({
          ...(options.tempRoot ? { root: options.tempRoot } : {}),
          runId: 'plan-datasets',
        })
      : undefined;
  const overlayDir = overlayTemp?.path;
  const keepPlannedVersion = async (v: { dataset: string; path: string; version: number; rows: number }) => {
    if (!overlayDir) return;
    const file = join(overlayDir, `${v.dataset}-v${v.version}.parquet`);
    await copyFile(v.path, file);
    overlays.set(v.dataset, { file, version: v.version, rows: v.rows });
  };
  try {
    for (const pipeline of selected) {
      const savedPipeline = saved.get(pipeline.name);
      if (!pipeline.enabled) {
        results.push(disabledPlan(pipeline, now));
        continue;
      }
      if (savedPipeline && savedPipeline.status === 'error') {
        results.push(notAppliedPlan(pipeline, now, savedPipeline));
        continue;
      }
      try {
        if (options.signal?.aborted) throw interruption(options.signal, 'before this pipeline started');
        results.push(
          await runPipeline({
            project,
            pipeline,
            mode: options.mode,
            store,
            s3: access.s3,
            pgp,
            now,
            ...options.pipelineOptions,
            ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
            ...(savedPipeline ? { savedPlan: savedPipeline } : {}),
            ...(options.allow ? { allow: options.allow } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.onEvent ? { onEvent: options.onEvent } : {}),
            ...(overlayDir ? { datasetOverlays: overlays, onPlannedDatasetVersion: keepPlannedVersion } : {}),
          }),
        );
      } catch (error) {
        results.push({ ...skeletonPlan(pipeline, now), status: 'error', error: describeFailure(error) });
      }
      if (options.mode === 'apply') await notify(project, pipeline, results.at(-1), access, options);
    }
  } finally {
    access.destroy();
    await overlayTemp?.cleanup();
  }
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: now.toISOString(),
    project: project.file,
    pipelines: results,
  };
}

/**
 * Tells the people a pipeline's `notify` names how its run went (failure, success, a stale sequence).
 * Never fails the run: a delivery that fails is reported as an event, the run's outcome stands.
 */
async function notify(
  project: Project,
  pipeline: Pipeline,
  result: PipelinePlan | undefined,
  access: ReturnType<typeof createS3Access>,
  options: RunProjectOptions,
): Promise<void> {
  if (!result || result.status === 'disabled') return;
  // Loaded here, by apply only: plan never notifies, and the mail client is a large module.
  const { notifyAfterRun } = await import('../notify/notify-run.js');
  await notifyAfterRun(
    { project, pipeline, result },
    {
      env: options.env,
      projectDir: project.directory,
      s3Client: (name) => access.s3(name).client,
      onReport: (report) =>
        options.onEvent?.({
          type: 'notification',
          pipeline: report.pipeline,
          runId: report.runId,
          event: report.event,
          target: report.target,
          ok: report.ok,
          attempts: report.attempts,
          ...(report.error ? { error: report.error } : {}),
        }),
    },
  );
}

/** A pipeline's plan before anything was read: its name, schedule and steps only. */
function skeletonPlan(pipeline: Pipeline, now: Date): PipelinePlan {
  const plan = assemblePipelinePlan({
    pipeline,
    selection: emptySelection(),
    state: emptyPipelineState(pipeline.name),
    runId: createRunId(now),
    runTime: now,
    now,
    orphans: [],
  });
  return { ...plan, steps: [], firstApply: false, fingerprints: { config: '', state: '', inputs: [] } };
}

/** `enabled: false`: one line in the plan, so a pipeline does not silently vanish. */
function disabledPlan(pipeline: Pipeline, now: Date): PipelinePlan {
  return {
    ...skeletonPlan(pipeline, now),
    status: 'disabled',
    warnings: [
      {
        code: 'PIPELINE_DISABLED',
        message: `Pipeline "${pipeline.name}" is disabled (enabled: false in ${pipeline.origin.file}); it is not planned or applied.`,
      },
    ],
  };
}

/** A pipeline whose saved plan had failed is not applied: apply says so and fails (exit 1). */
function notAppliedPlan(pipeline: Pipeline, now: Date, saved: PipelinePlan): PipelinePlan {
  return {
    ...skeletonPlan(pipeline, now),
    status: 'error',
    error: {
      code: 'PLAN_PIPELINE_FAILED',
      message: `Pipeline "${pipeline.name}" was not applied: its saved plan had failed (${saved.error?.code ?? 'error'}${saved.error ? `: ${saved.error.message}` : ''}).`,
      hint: 'Fix the cause, run `ferry plan --out FILE` again and apply the new plan.',
    },
  };
}
