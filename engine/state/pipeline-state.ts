/**
 * What ferry remembers about a pipeline between runs. Versioned JSON; the diff snapshot lives
 * beside it as Parquet, referenced by name so the JSON file's rename is the single commit point.
 */

export const STATE_FORMAT_VERSION = 1;

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

export interface RunRecord {
  runId: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: RunCounts;
  outputs: Array<{ bucket: string; key: string; size: number; rows: number }>;
  /** Every rejected row of the run (CSV: file, line, row, step, reason, record), relative to the project directory. */
  rejectedRowsFile?: string;
  error?: { code: string; message: string; hint?: string; location?: string };
}

export interface PipelineState {
  formatVersion: number;
  pipeline: string;
  /** SHA-256 of the normalized pipeline (secret references included, never their values). */
  configFingerprint?: string;
  /** The normalized pipeline as last applied, for "what changed since the last apply". */
  appliedConfig?: unknown;
  processed: ProcessedObject[];
  sequenceCursor?: { key: string; timestamp: string };
  snapshot?: SnapshotRef;
  /** Dataset exports: the dataset version each dataset was last exported at (since_last_run). */
  exportWatermarks?: Record<string, number>;
  lastSuccessfulRun?: RunRecord;
  /** Successful runs, newest last, capped. Failed runs are logged in runs/, never here (state is untouched by failure). */
  history: RunRecord[];
}

export const MAX_HISTORY = 50;

export function emptyPipelineState(pipeline: string): PipelineState {
  return { formatVersion: STATE_FORMAT_VERSION, pipeline, processed: [], history: [] };
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
