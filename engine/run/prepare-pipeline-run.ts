/**
 * Everything a pipeline run reads before its first step: the source listing and the files it
 * selects, the datasets it touches, its journal (a run to resume, orphans to remove) and the plan
 * assembled from them. In apply this happens under the pipeline's lock, after state was read.
 */
import type { Pipeline, Project } from '../config/model.js';
import { preloadDuckDb } from '../duckdb/create-duckdb-session.js';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { listObjects } from '../io/s3/list-objects.js';
import { assemblePipelinePlan, emptySelection, inputFingerprint } from '../plan/assemble-pipeline-plan.js';
import { exportFingerprint, isExportUpToDate } from '../plan/export-fingerprint.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import { selectFiles, type FileSelection, type ListedObject } from '../plan/select-files.js';
import { RunCommit } from '../state/run-commit.js';
import type { ReadPipelineState, StateStore } from '../state/state-store.js';
import type { DatasetContext } from '../steps/dataset-context.js';
import type { S3Access } from '../steps/step-context.js';
import { checkSavedPlan } from './check-saved-plan.js';
import { readDatasetContext, type DatasetOverlay } from './read-dataset-context.js';
import { checkSinks } from './check-sinks.js';

export interface PreparedRun {
  plan: PipelinePlan;
  listing: ListedObject[];
  selection: FileSelection;
  datasets: DatasetContext | undefined;
  commit: RunCommit;
  /** Dataset exports: the fingerprint of what the run reads, recorded in state at commit. */
  exportFingerprint?: string;
}

export async function preparePipelineRun(input: {
  project: Project;
  pipeline: Pipeline;
  store: StateStore;
  read: ReadPipelineState;
  s3: (connection: string) => S3Access;
  now: Date;
  attemptId: string;
  datasetOverlays: ReadonlyMap<string, DatasetOverlay> | undefined;
  savedPlan: Pick<PipelinePlan, 'runId' | 'runTime' | 'fingerprints'> | undefined;
  /** Guards the run allows: files quarantined by those only are taken again. */
  allow: ReadonlySet<string>;
}): Promise<PreparedRun> {
  const { pipeline, store, read, now } = input;
  const source = pipeline.source;
  let listing: ListedObject[] = [];
  let selection = emptySelection();
  if (source.kind === 's3') {
    const listed = listObjects(input.s3(source.connection).client, {
      connection: source.connection,
      bucket: source.bucket,
      prefix: source.prefix,
    });
    // DuckDB's native module loads while S3 answers; the session that needs it awaits the same load.
    preloadDuckDb().catch(() => undefined);
    listing = await listed.catch((error: unknown) => {
      throw atSourceBucket(error);
    });
    selection = selectFiles(source, listing, read.state, { now, allow: input.allow });
  }
  await checkSinks(pipeline, input.s3);
  const datasets = await readDatasetContext(
    pipeline,
    input.project,
    store,
    read.state,
    input.datasetOverlays,
  );
  const commit = await RunCommit.begin(store, {
    pipeline: pipeline.name,
    read,
    fingerprint: inputFingerprint(pipeline, selection),
    attemptId: input.attemptId,
    now,
    ...(input.savedPlan ? { fixed: { runId: input.savedPlan.runId, runTime: input.savedPlan.runTime } } : {}),
  });
  const plan = assemblePipelinePlan({
    pipeline,
    selection,
    state: read.state,
    runId: commit.identity.runId,
    runTime: commit.identity.runTime,
    now,
    orphans: commit.orphans,
  });
  if (read.state.quarantined?.length) plan.quarantined = [...read.state.quarantined];
  if (input.savedPlan) checkSavedPlan(pipeline.name, input.savedPlan.fingerprints, plan.fingerprints);
  // A state backend that cannot be locked is said in every plan and report, first.
  plan.warnings.unshift(...(await store.backendWarnings()));
  const fingerprint = skipUnchangedExport(input.project, pipeline, plan, read.state, datasets);
  return {
    plan,
    listing,
    selection,
    datasets,
    commit,
    ...(fingerprint !== undefined ? { exportFingerprint: fingerprint } : {}),
  };
}

/**
 * An export whose inputs did not change since its last successful run has nothing to write: its
 * steps are dropped, so plan says "no changes" and apply only does bookkeeping. Returns the fingerprint.
 */
function skipUnchangedExport(
  project: Project,
  pipeline: Pipeline,
  plan: PipelinePlan,
  state: ReadPipelineState['state'],
  datasets: DatasetContext | undefined,
): string | undefined {
  if (!datasets) return undefined;
  const versions = new Map([...datasets.manifests].map(([name, m]) => [name, m.current]));
  const fingerprint = exportFingerprint(pipeline, project, versions);
  const upToDate = isExportUpToDate({
    pipeline,
    fingerprint,
    lastFingerprint: state.exportFingerprint,
    versions,
    watermarks: datasets.watermarks,
  });
  if (upToDate) plan.steps = [];
  return fingerprint;
}

/**
 * A source bucket that does not exist or refuses the listing is the pipeline's setting: the error
 * is reported at `source.bucket` (file:line:col), as a missing sink bucket is at `sink.bucket`.
 */
function atSourceBucket(error: unknown): unknown {
  if (!isFerryError(error) || error.context.config !== undefined) return error;
  if (error.code !== 'S3_NO_SUCH_BUCKET' && error.code !== 'S3_ACCESS_DENIED') return error;
  return new FerryError(error.code, error.message, {
    cause: error,
    context: { ...error.context, config: '/source/bucket' },
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}
