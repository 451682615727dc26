/**
 * The plan: versioned data that text, Markdown and JSON renderings are made from. `plan` and
 * `apply` run the same compiled steps, so they cannot disagree: `plan` stops before the first
 * step that writes (upload, dataset write, state commit) and reports what those steps would do.
 */
import type { FileSelection } from './select-files.js';
import type { OrphanObject, QuarantinedObject, RunCounts } from '../state/pipeline-state.js';
import type { GuardName } from '../config/model.js';
import type { DatasetEffect } from './dataset-effect.js';

/** 2: snake_case keys, `ferry_version`, attempts and orphans. */
export const PLAN_FORMAT_VERSION = 2;

/** A PGP key as a plan shows it: never the key itself. */
export interface PlanPgpKey {
  fingerprint: string;
  /** The key's first user id ("Name <email>"). */
  userId?: string;
  /** Of the key and its subkeys: "ed25519/cv25519", "rsa3072/rsa3072". */
  algorithm: string;
}

export interface FetchStep {
  kind: 'fetch';
  connection: string;
  bucket: string;
  objects: Array<{ key: string; size: number; etag: string; localName: string }>;
  /** source.decrypt: the keys that decrypt, and those signatures are checked against (filled in when the step runs). */
  decrypt?: { keys: PlanPgpKey[]; requireSignature: boolean; verifyWith: PlanPgpKey[] };
}

export interface LoadStep {
  kind: 'load';
  format: 'csv' | 'json' | 'parquet';
  table: string;
}

export interface MapStep {
  kind: 'map';
  table: string;
}

export interface DiffStep {
  kind: 'diff';
  key: string[] | null;
  tombstones: string | null;
  table: string;
}

export interface WriteFilesStep {
  kind: 'write-files';
  format: string;
  compress: string;
  /** sink.encrypt: the recipients' keys and the signing key (filled in when the step runs). */
  encrypt?: { recipients: PlanPgpKey[]; signedBy?: PlanPgpKey; armor: boolean };
}

export interface UploadStep {
  kind: 'upload';
  connection: string;
  bucket: string;
}

export interface ReadDatasetStep {
  kind: 'read-dataset';
  datasets: string[];
  table: string;
}

export interface MergeDatasetStep {
  kind: 'merge-dataset';
  dataset: string;
  mode: 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
}

/** Compare the loaded source's columns with the previous successful run's (and the declared contract). */
export interface CheckSchemaStep {
  kind: 'check-schema';
}

/** Run the data checks on the mapped rows, before anything is written. */
export interface CheckStep {
  kind: 'check';
  /** The map step's table (where a rejected row's source file is found). */
  mappedTable: string;
  /** The checks' names, in order. */
  checks: string[];
}

export interface CommitStateStep {
  kind: 'commit-state';
}

export type Step =
  | FetchStep
  | LoadStep
  | CheckSchemaStep
  | ReadDatasetStep
  | MapStep
  | CheckStep
  | DiffStep
  | MergeDatasetStep
  | WriteFilesStep
  | UploadStep
  | CommitStateStep;

/** Steps that change something outside the run's temp dir; `plan` never executes them. */
export const WRITING_STEPS: ReadonlySet<Step['kind']> = new Set(['upload', 'commit-state']);

export interface OutputFile {
  bucket: string;
  key: string;
  format: string;
  rows: number;
  bytes: number;
}

export interface RejectedRow {
  /** The source object key. */
  file: string;
  /** Line (record) in the file, when the reader knows it. */
  line: number | null;
  /** Data row number in the run (mapping rejects), when known. */
  row?: number;
  reason: string;
}

export interface ConfigChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** One destructive-change limit as the run measured it (plan/evaluate-guards.ts). */
export interface GuardResult {
  guard: GuardName;
  /** Rows removed / deleted / changed, or rows read (min_rows). */
  count: number;
  /** The limit in rows (a percentage resolved against `base`). */
  limit: number;
  /** As configured: 500 or "20%" ("50%" from the mirror default). */
  setting: string;
  /** The previous row count a percentage is taken of. */
  base?: number;
  tripped: boolean;
  /** Tripped, and the run was told `--allow` it (a saved plan records this; apply --plan honours it). */
  allowed: boolean;
}

export interface PipelinePlan {
  pipeline: string;
  description?: string;
  runId: string;
  /** apply: this attempt's id (its run record); differs from runId when the run is a retry. */
  attemptId?: string;
  /** apply: the attempt this one retried (same inputs, same keys). */
  retryOf?: string;
  /** The run time used for templates; reused by a retry of the same inputs (deterministic keys). */
  runTime: string;
  selection: FileSelection;
  steps: Step[];
  schedule?: { description: string; next: string[] };
  configChanges: ConfigChange[];
  firstApply: boolean;
  /** Filled in by executing the read-only steps. */
  counts: RunCounts;
  outputs: OutputFile[];
  rejects: RejectedRow[];
  /** Objects written by earlier runs that never committed: removed by this run after its own outputs. */
  orphans?: OrphanObject[];
  /** apply: the orphans this run deleted. */
  orphansDeleted?: OrphanObject[];
  /** apply: the orphans it could not delete, with the reason (e.g. S3_ACCESS_DENIED). */
  orphansKept?: Array<OrphanObject & { reason: string }>;
  /** apply: every rejected row of the run, as CSV (path relative to the project directory; the report lists the first). */
  rejectedRowsFile?: string;
  warnings: Array<{ code: string; message: string }>;
  /** The data checks' outcomes (docs/data-checks.md), in the order they ran. */
  checks?: CheckResult[];
  /** The mapped rows the checks saw (row_count_change's baseline, kept in state by apply). */
  checkedRows?: number;
  /** How the source's columns differ from the previous successful run's (and the contract's). */
  schemaDrift?: SchemaDrift;
  /** Destructive-change limits the run measured, before anything was written (docs/guards.md). */
  guards?: GuardResult[];
  /** Source objects in quarantine (state), skipped until changed, released or allowed. */
  quarantined?: QuarantinedObject[];
  /** What a dataset sink does: rows created, updated, unchanged, skipped, unmatched, deleted. */
  dataset?: DatasetEffect;
  /** SQL of each executed statement, for `--show-sql`. */
  sql: Array<{ step: Step['kind']; sql: string }>;
  /** What `apply --plan` checks before it writes anything: the plan must still describe reality. */
  fingerprints: {
    /** SHA-256 of the normalized pipeline configuration. */
    config: string;
    /** SHA-256 of the pipeline's committed state when the plan was made. */
    state: string;
    /** The source objects the plan takes: key, ETag, size. */
    inputs: Array<[string, string, number]>;
  };
  /** `disabled`: `enabled: false` in its file; listed so it does not silently vanish from plans. */
  status: 'changes' | 'no-changes' | 'error' | 'disabled';
  /** `location`: file:line:col of the setting that caused it, when a setting did. */
  error?: { code: string; message: string; hint?: string; location?: string };
}

/** One data check's outcome. */
export interface CheckResult {
  name: string;
  kind: string;
  severity: 'warn' | 'fail';
  onFail: 'fail_run' | 'reject_rows';
  status: 'passed' | 'failed';
  /** Rows that fail a row check; for a check of the whole table, 1 when it fails. */
  failingRows: number;
  /** The first few failing rows by key ("account_id=42"), or by source row ("row 7") without a key. */
  sampleKeys: string[];
  /** What a check of the whole table measured, in words ("0 rows; min 1"). */
  detail?: string;
  /** reject_rows: rows set aside in the rejected-rows file. */
  rowsRejected?: number;
}

/** A source column as drift detection sees it: its name and its (inferred or loaded) type. */
export interface SchemaColumn {
  name: string;
  type: string;
}

/** Schema drift of the source against the previous successful run (docs/data-checks.md). */
export interface SchemaDrift {
  /** What the columns were compared with. */
  baseline: 'previous-run' | 'contract' | 'none';
  columns: SchemaColumn[];
  /** Whether the files have a header row (without one, columns are matched by position). */
  header: boolean;
  newColumns: string[];
  missingColumns: string[];
  typeChanges: Array<{ column: string; before: string; after: string }>;
  /** Headerless files: the columns' types moved position (the vendor reordered them). */
  reordered: boolean;
  /** Whether the policy refuses the run (on_*: fail, or a missing required column). */
  breaking: boolean;
  /** What the policy did, in words ("mrr: 2 rows rejected (type change)"). */
  actions: string[];
}

export interface Plan {
  formatVersion: number;
  createdAt: string;
  project: string;
  pipelines: PipelinePlan[];
}
