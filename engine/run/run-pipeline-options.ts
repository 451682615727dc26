/** What one pipeline run is given: the project, the state store, S3 access, the clock and hooks. */
import type { Pipeline, Project } from '../config/model.js';
import type { PgpKeyAccess } from '../io/pgp/read-keys.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import type { LockOptions } from '../state/state-lock.js';
import type { StateStore } from '../state/state-store.js';
import type { S3Access } from '../steps/step-context.js';
import type { DatasetOverlay } from './read-dataset-context.js';
import type { RunEvent } from './run-events.js';

export interface RunPipelineOptions {
  project: Project;
  pipeline: Pipeline;
  mode: 'plan' | 'apply';
  store: StateStore;
  s3: (connection: string) => S3Access;
  /** A connection's PGP keys (made once per project run, like the S3 clients). */
  pgp: PgpKeyAccess;
  now: Date;
  /** Root for the run's temp dir (default: the OS temp dir). */
  tempRoot?: string;
  /**
   * DuckDB's memory_limit for the session, instead of limits.memory (tests: a tiny limits.memory makes
   * a small run take the large-run paths while DuckDB keeps room to run).
   */
  memoryLimit?: string;
  /**
   * plan only: dataset versions that pipelines planned earlier in this run would create, so readers
   * are planned against what apply will give them (dataset → local Parquet path and version).
   */
  datasetOverlays?: ReadonlyMap<string, DatasetOverlay>;
  /** plan only: called with the dataset version this pipeline would create, before its temp dir goes. */
  onPlannedDatasetVersion?: (version: DatasetOverlay & { dataset: string; path: string }) => Promise<void>;
  /** apply --plan: the saved plan of this pipeline; apply refuses (PLAN_STALE) if it no longer holds. */
  savedPlan?: Pick<PipelinePlan, 'runId' | 'runTime' | 'fingerprints' | 'guards'>;
  /** `--allow NAME`: guards (docs/guards.md) this run lets through when they trip. Never all at once. */
  allow?: ReadonlySet<string>;
  /**
   * Aborted: stop before the next step (RUN_INTERRUPTED, state untouched). Once uploading has begun
   * the run finishes its upload and commit instead, so no output is left without its state.
   */
  signal?: AbortSignal;
  /** Progress for logs and metrics: run start/end, each step, each warning. */
  onEvent?: (event: RunEvent) => void;
  /** Tests only: called after state was read and before anything else, to force interleavings. */
  afterStateRead?: () => Promise<void>;
  /**
   * Lock timing (tests inject a clock; serve may shorten the TTL), and how long to wait for a lock
   * another run holds (`apply --lock-timeout`), each wait reported through `onWait`.
   */
  lock?: Omit<LockOptions, 'runId'>;
}
