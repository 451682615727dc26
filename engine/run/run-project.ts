/**
 * plan / apply over a loaded project: one S3 client per connection (secrets resolved here, only
 * here), one state store, every selected pipeline in name order. A failing pipeline is reported and
 * does not stop the others; its state stays as it was.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline, Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { createS3Client } from '../io/s3/create-s3-client.js';
import { orderPipelines } from '../plan/order-pipelines.js';
import { PLAN_FORMAT_VERSION, type Plan, type PipelinePlan } from '../plan/plan-model.js';
import { LocalStateStore } from '../state/local-state-store.js';
import { emptyCounts } from '../state/pipeline-state.js';
import type { S3Access } from '../steps/step-context.js';
import { resolveConnection } from './resolve-connection.js';
import {
  createRunId,
  describeFailure,
  interruption,
  runPipeline,
  type DatasetOverlay,
} from './run-pipeline.js';

export interface RunProjectOptions {
  project: Project;
  pipelines: readonly Pipeline[];
  mode: 'plan' | 'apply';
  env: NodeJS.ProcessEnv;
  now?: Date;
  /** Only these pipelines (by name). */
  only?: readonly string[];
  tempRoot?: string;
  /** apply --plan: only the pipelines in this saved plan, each checked against it first. */
  savedPlan?: Plan;
  /** Stop before the next step when aborted (the reason names the signal); see interruption(). */
  signal?: AbortSignal;
}

export async function runProject(options: RunProjectOptions): Promise<Plan> {
  const { project } = options;
  const now = options.now ?? new Date();
  if (project.state.kind !== 'local') {
    throw new FerryError('NOT_SUPPORTED_YET', 'The s3 state backend is not supported yet.', {
      hint: 'Use state: {kind: local}.',
    });
  }
  const store = new LocalStateStore(project.state.directory);
  const clients = new Map<string, S3Access>();
  const s3 = (name: string): S3Access => {
    let access = clients.get(name);
    if (!access) {
      const connection = project.connections[name];
      if (!connection) throw new FerryError('CONFIG_UNKNOWN_CONNECTION', `Unknown connection "${name}".`);
      const settings = resolveConnection(connection, { env: options.env, projectDir: project.directory });
      access = { settings, client: createS3Client(settings) };
      clients.set(name, access);
    }
    return access;
  };
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
  const saved = new Map(
    (options.savedPlan?.pipelines ?? []).filter((p) => p.status !== 'error').map((p) => [p.pipeline, p]),
  );
  const selected = orderPipelines(
    options.pipelines.filter((p) =>
      options.savedPlan
        ? saved.has(p.name)
        : options.only?.length
          ? options.only.includes(p.name)
          : p.enabled,
    ),
  );
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
  const results: PipelinePlan[] = [];
  // plan: a dataset version one pipeline would create is what later pipelines read, as in apply.
  const overlays = new Map<string, DatasetOverlay>();
  const overlayDir =
    options.mode === 'plan'
      ? await mkdtemp(join(options.tempRoot ?? tmpdir(), 'ferry-plan-datasets-'))
      : undefined;
  const keepPlannedVersion = async (v: { dataset: string; path: string; version: number; rows: number }) => {
    if (!overlayDir) return;
    const file = join(overlayDir, `${v.dataset}-v${v.version}.parquet`);
    await copyFile(v.path, file);
    overlays.set(v.dataset, { file, version: v.version, rows: v.rows });
  };
  try {
    for (const pipeline of selected) {
      try {
        if (options.signal?.aborted) throw interruption(options.signal, 'before this pipeline started');
        results.push(
          await runPipeline({
            project,
            pipeline,
            mode: options.mode,
            store,
            s3,
            now,
            ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
            ...(saved.has(pipeline.name) ? { savedPlan: saved.get(pipeline.name) as PipelinePlan } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            ...(overlayDir ? { datasetOverlays: overlays, onPlannedDatasetVersion: keepPlannedVersion } : {}),
          }),
        );
      } catch (error) {
        results.push(failedPlan(pipeline, now, error));
      }
    }
  } finally {
    for (const access of clients.values()) access.client.destroy();
    if (overlayDir) await rm(overlayDir, { recursive: true, force: true });
  }
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: now.toISOString(),
    project: project.file,
    pipelines: results,
  };
}

function failedPlan(pipeline: Pipeline, now: Date, error: unknown): PipelinePlan {
  const failure = describeFailure(error);
  return {
    pipeline: pipeline.name,
    ...(pipeline.description !== undefined ? { description: pipeline.description } : {}),
    runId: createRunId(now),
    runTime: now.toISOString(),
    selection: { listed: 0, matched: 0, selected: [], changed: [], skipped: [], warnings: [] },
    steps: [],
    configChanges: [],
    firstApply: false,
    counts: emptyCounts(),
    outputs: [],
    rejects: [],
    fingerprints: { config: '', state: '', inputs: [] },
    warnings: [],
    sql: [],
    status: 'error',
    error: failure,
  };
}
