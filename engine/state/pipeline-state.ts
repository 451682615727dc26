/**
 * What ferry remembers about a pipeline between runs. Versioned JSON; the diff snapshot lives
 * beside it as Parquet, referenced by name so replacing the JSON document is the single commit point.
 * Every commit raises `generation` and is a compare-and-swap on the document that run read, so a
 * run that lost its lock can never overwrite what a later run committed.
 */

/** 2: `generation`, `datasetVersions`, `orphans`. Version 1 documents are read and upgraded. */
export const STATE_FORMAT_VERSION = 2;

export interface ProcessedObject {
  key: string;
  etag: string;
  size: number;
  lastModified: string;
  processedAt: string;
  runId: string;
}

export interface SnapshotRef {
  /** File name inside the pipeline's state directory. */
  file: string;
  rows: number;
  /** Identity columns, or null for whole-row comparison. */
  key: string[] | null;
}

export interface RunCounts {
  filesMatched: number;
  filesNew: number;
  filesSkipped: number;
  rowsRead: number;
  rowsRejected: number;
  rowsAdded: number;
  rowsChanged: number;
  rowsRemoved: number;
  rowsUnchanged: number;
  rowsWritten: number;
  objectsWritten: number;
}

/** An object a failed run uploaded that no committed run owns; removed (or reported) by a later run. */
export interface OrphanObject {
  connection: string;
  bucket: string;
  key: string;
  /** The run whose output it was (its `ferry-run-id` metadata): only such objects are ever deleted. */
  runId: string;
}

/**
 * A source object a run refused (a guard tripped, a fail-level check failed): not taken again until
 * its content changes (another ETag or size), `ferry state release` releases it, or a run is given
 * `--allow` for every guard it tripped. Committed on its own: nothing else of that run is.
 */
export interface QuarantinedObject {
  key: string;
  etag: string;
  size: number;
  /** GUARD_TRIPPED or CHECK_FAILED (errors/quarantine-codes.ts). */
  code: string;
  message: string;
  /** When it was quarantined (ISO 8601), and by which attempt. */
  at: string;
  runId: string;
  /** The guards that tripped: a run allowed (`--allow`) every one of them takes the file again. */
  guards?: string[];
}

export interface RunRecord {
  /** The run's identity in output keys and object metadata; a retry of the same inputs reuses it. */
  runId: string;
  /** This attempt (unique: a retry gets its own record); absent in older records, where it is runId. */
  attemptId?: string;
  /** The attempt this one retried (same inputs, same run id), when it is a retry. */
  retryOf?: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: RunCounts;
  outputs: Array<{ bucket: string; key: string; size: number; rows: number }>;
  /** Every rejected row of the run (CSV: file, line, row, step, reason, record), relative to the project directory. */
  rejectedRowsFile?: string;
  error?: { code: string; message: string; hint?: string; location?: string };
  /** Objects left by earlier failed runs: deleted by this run, or kept because they could not be. */
  orphans?: { deleted: OrphanObject[]; kept: Array<OrphanObject & { reason: string }> };
}

export interface PipelineState {
  formatVersion: number;
  pipeline: string;
  /** Number of commits so far; each commit is conditional on the document the run read. */
  generation: number;
  /** SHA-256 of the normalized pipeline (secret references included, never their values). */
  configFingerprint?: string;
  /** The normalized pipeline as last applied, for "what changed since the last apply". */
  appliedConfig?: unknown;
  processed: ProcessedObject[];
  sequenceCursor?: { key: string; timestamp: string };
  snapshot?: SnapshotRef;
  /** Dataset exports: the dataset version each dataset was last exported at (since_last_run). */
  exportWatermarks?: Record<string, number>;
  /**
   * Dataset exports: the fingerprint of the inputs (dataset versions, segments, configuration) of the
   * last successful run; a run with the same inputs writes nothing (engine/plan/export-fingerprint.ts).
   */
  exportFingerprint?: string;
  /** Dataset → the version this pipeline last made current: a dataset that lost its manifest is noticed. */
  datasetVersions?: Record<string, number>;
  /** Outputs of failed runs that could not be deleted yet (reported by every plan until they are). */
  orphans?: Array<OrphanObject & { reason: string }>;
  /**
   * The source's columns in the last successful run (name and inferred or loaded type, file order):
   * schema drift's baseline. Absent in older state: such a pipeline simply has no baseline yet.
   */
  sourceSchema?: { columns: Array<{ name: string; type: string }>; header: boolean };
  /** Mapped rows the last successful run's checks saw: row_count_change's baseline. */
  rowCount?: number;
  /** Source objects refused by a guard or a fail-level check, skipped until changed or released. */
  quarantined?: QuarantinedObject[];
  lastSuccessfulRun?: RunRecord;
  /** Successful runs, newest last, capped. Failed runs are logged in runs/, never here (state is untouched by failure). */
  history: RunRecord[];
}

export const MAX_HISTORY = 50;

export function emptyPipelineState(pipeline: string): PipelineState {
  return { formatVersion: STATE_FORMAT_VERSION, pipeline, generation: 0, processed: [], history: [] };
}

export function emptyCounts(): RunCounts {
  return {
    filesMatched: 0,
    filesNew: 0,
    filesSkipped: 0,
    rowsRead: 0,
    rowsRejected: 0,
    rowsAdded: 0,
    rowsChanged: 0,
    rowsRemoved: 0,
    rowsUnchanged: 0,
    rowsWritten: 0,
    objectsWritten: 0,
  };
}
