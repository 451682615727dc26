/**
 * Normalized configuration: one form, defaults applied, durations in ms, delimiters unescaped.
 * `XxxSpec` (config-spec.gen.ts, generated from schemas/) is the YAML as written; these plain nouns
 * are what the planner and steps consume. Unions are discriminated by `kind`, using the YAML words.
 */

import type { ResolvedReference } from './interpolate-references.js';

/** Where a normalized value came from, for problems found after normalization. */
export interface Origin {
  /** For messages: relative to the working directory when possible. */
  file: string;
  pointer: string;
  /** Absolute path, to find a run-time error's place in the file (pipelines only). */
  path?: string;
  /** References resolved in this item's settings: plans and state show them, not their values. */
  resolvedReferences?: readonly ResolvedReference[];
  /** Where each of the pipeline's `checks` is written (parallel to `Pipeline.checks`; a dataset's are in ferry.yaml). */
  checks?: ReadonlyArray<{ file: string; pointer: string }>;
}

/** A secret stays a reference until the moment a client needs it. */
export interface SecretRef {
  ref: string;
}

export interface StaticAuth {
  kind: 'static';
  accessKeyId: SecretRef;
  secretAccessKey: SecretRef;
  sessionToken?: SecretRef;
}

/**
 * `allowCustomEndpoint`: these AWS credentials may be sent to a custom endpoint (the connection's
 * `endpoint`; for an assumed role's source, the `stsEndpoint`). Never implied: see docs/authentication.md.
 */
export interface DefaultChainAuth {
  kind: 'default';
  allowCustomEndpoint: boolean;
}

export interface AssumeRoleAuth {
  kind: 'assume_role';
  roleArn: string;
  externalId?: string;
  /** Undefined: ferry-<connection name> (resolve-connection.ts). */
  sessionName?: string;
  durationSeconds: number;
  /** Who calls AssumeRole. */
  source: DefaultChainAuth | StaticAuth;
  stsEndpoint?: string;
  stsRegion?: string;
  allowCustomEndpoint: boolean;
}

export type ConnectionAuth = DefaultChainAuth | StaticAuth | AssumeRoleAuth;

/**
 * A connection's PGP keys. The private key and passphrase stay references until a run decrypts or
 * signs; public keys are key file paths (relative to the project directory) or armored keys (a
 * reference's value), read at run time. Plans name keys by fingerprint only.
 */
export interface PgpKeys {
  privateKey?: SecretRef;
  passphrase?: SecretRef;
  publicKeys: string[];
}

export interface Connection {
  name: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  checksum: 'when_required' | 'when_supported';
  auth: ConnectionAuth;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  bodyIdleTimeoutMs: number;
  maxAttempts: number;
  pgp?: PgpKeys;
  origin: Origin;
}

export type StateBackend =
  | { kind: 'local'; directory: string }
  | {
      kind: 's3';
      connection: string;
      bucket: string;
      /** '' (bucket root) or a folder ending in '/'. */
      prefix: string;
      /** `unsafe-single-writer`: run on an endpoint that does not enforce conditional writes, unlocked. */
      lock: 'required' | 'unsafe-single-writer';
      lockTtlMs: number;
    };

export interface Dataset {
  name: string;
  kind: 'entity' | 'events';
  key: string[];
  description?: string;
  columns: Record<string, string>;
  keepVersions: number;
  /** ferry.yaml `datasets.<name>.checks`: every pipeline writing the dataset runs them too. */
  checks?: Check[];
  origin: Origin;
}

export interface Segment {
  name: string;
  dataset: string;
  where: string;
  description?: string;
  origin: Origin;
}

export interface CsvDialect {
  /** The actual delimiter characters (`t` and `\t` already turned into a TAB). */
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  encoding: 'utf-8' | 'latin-1' | 'utf-16';
  nullString?: string;
}

export interface Project {
  /** Directory that relative paths (state, pipelines) are resolved against. */
  directory: string;
  file: string;
  connections: Record<string, Connection>;
  state: StateBackend;
  datasets: Record<string, Dataset>;
  segments: Record<string, Segment>;
  defaults: {
    timezone: string;
    csv: CsvDialect;
    /** Source-file policies given in defaults.csv, applied where a pipeline does not set them. */
    csvPolicy: { emptyFile?: 'skip' | 'fail'; maxRejects?: number | string };
    /** ferry.yaml `defaults.schema`: drift policy for pipelines that do not set their own. */
    schema?: Partial<Omit<SchemaPolicy, 'columns'>>;
    /** `defaults.guards`: destructive-change limits every pipeline inherits (docs/guards.md). */
    guards?: Guards;
  };
  pipelineGlobs: string[];
  limits: Limits;
  /** What references in non-secret settings may read (`references`, docs/security.md). */
  references: { env: string[]; files: string[] };
  /** References resolved in ferry.yaml: plans show them, not their values. */
  resolvedReferences?: readonly ResolvedReference[];
  /** ferry.yaml `notifications`: named webhook and SMTP targets (engine/notify sends to them). */
  notifications?: Record<string, NotificationTarget>;
  /** ferry.yaml `defaults.notify`: routes for pipelines without a `notify` of their own. */
  notifyDefaults?: NotifyRoutes;
}

/** ferry.yaml `limits`: what one pipeline run may consume (docs/limits.md). */
export interface Limits {
  /** Largest size of a gzip/zstd source file once decompressed. */
  maxDecompressedBytes: number;
  /** Largest decompressed ÷ compressed ratio of a source file (checked past a floor of output). */
  maxCompressionRatio: number;
  /** Disk a run may use in its temp dir: the fetched files together, and DuckDB's spill files. */
  tempDiskBytes: number;
  /** Longest one DuckDB query may run before it is interrupted. */
  queryTimeoutMs: number;
  /** DuckDB's memory_limit for one pipeline run, in bytes; past it DuckDB spills to the temp dir. */
  memoryBytes: number;
}

export type MaxRejects = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** A destructive-change limit by its YAML name (docs/guards.md). */
export type GuardName = 'max_removed' | 'max_deleted' | 'max_changed' | 'min_rows';
/** Rows, or a percentage of the previous row count. */
export type GuardLimit = MaxRejects;
export type Guards = Partial<Record<GuardName, GuardLimit>>;

export type SourceFormat =
  | ({
      kind: 'csv';
      emptyFile: 'skip' | 'fail';
      maxRejects: MaxRejects;
      columns?: string[];
      /** source.format.max_line_size in bytes; the reader's default when absent. */
      maxLineBytes?: number;
    } & CsvDialect)
  | { kind: 'json'; layout: 'array' | 'ndjson'; emptyFile: 'skip' | 'fail'; maxRejects: MaxRejects }
  | { kind: 'parquet' };

export type Compression = 'none' | 'gzip' | 'zstd';

export interface S3Source {
  kind: 's3';
  connection: string;
  bucket: string;
  prefix: string;
  /** RE2 pattern matched against the key after the prefix; undefined matches everything. */
  match?: string;
  timestampFormat?: string;
  /**
   * The zone of key timestamps without an offset: `defaults.timezone` resolved at normalization, so
   * the config diff and saved-plan checks see it. Set exactly when timestampFormat is.
   */
  timezone?: string;
  pick: 'newest' | 'all-new' | 'sequence';
  sequence?: { expectEveryMs: number; graceMs: number };
  maxFiles: number;
  order: 'key' | 'timestamp' | 'last-modified';
  onChanged: 'reprocess' | 'skip' | 'fail';
  format: SourceFormat;
  compression: Compression | 'auto';
  /** PGP-decrypt every selected file after download, before compression is detected. */
  decrypt?: PgpDecrypt;
}

export interface PgpDecrypt {
  kind: 'pgp';
  requireSignature: boolean;
  /** Cap on one file's decrypted (decompressed) size; unset: the project-wide default. */
  maxBytes?: number;
}

export interface PgpEncrypt {
  kind: 'pgp';
  /** Fingerprints, key ids or emails of keys in the connection's `pgp.publicKeys`. */
  recipients: string[];
  sign: boolean;
  armor: boolean;
}

export interface DatasetSource {
  kind: 'dataset';
  datasets: string[];
  /** Pointer (relative to the pipeline) of each dataset name, for problems. */
  datasetPaths: string[];
  where?: string;
  segment?: string;
  sinceLastRun: boolean;
  limit?: number;
  fields?: string[];
}

export type Source = S3Source | DatasetSource;

export interface Mapping {
  fields?: string[];
  exclude?: string[];
  rename: Record<string, string>;
  cast: Record<string, string>;
  compute: Record<string, string>;
  timestamp?: {
    column: string;
    format?: string;
    /** The zone of values without an offset: as written, else `defaults.timezone` (resolved at normalization). */
    timezone: string;
    /** import-time: rows without a time (or a source without the column) get the run's start time. */
    default?: 'import-time';
  };
  rest?: { into: string };
  key?: string[];
  relations: Record<string, { dataset: string; onMissing: 'count' | 'fail' }>;
  required: string[];
}

export interface Diff {
  /** Identity columns; undefined means whole-row comparison. */
  key?: string[];
  tombstones?: { column: string };
}

export type SinkFormat =
  | { kind: 'csv'; delimiter: string; quote: string; headers: boolean; listSeparator: string }
  | { kind: 'multi-csv'; delimiter: string; headers: boolean; joinKey: string }
  | { kind: 'json' }
  | { kind: 'ndjson' }
  | { kind: 'parquet' };

export interface S3Sink {
  kind: 's3';
  connection: string;
  bucket: string;
  directory: string;
  filename: string;
  timestampFormat: string;
  timezone: string;
  format: SinkFormat;
  fields?: string[];
  limit?: number;
  compress: Compression;
  maxRowsPerFile?: number;
  /** The seed's "Additional Segments": a list column naming the segments each row belongs to. */
  segmentsField?: string;
  /** PGP-encrypt every output file after it is written, before upload. */
  encrypt?: PgpEncrypt;
  /** The seed's "Email to": an email with a presigned link to each written file. */
  notify?: ExportNotify;
  /** Exports: write on every run, even when the inputs did not change (absent: converge). */
  alwaysWrite?: true;
}

export interface DatasetSink {
  kind: 'dataset';
  dataset: string;
  mode: 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
  rejects?: { connection: string; bucket: string; directory: string };
}

export type Sink = S3Sink | DatasetSink;

interface ScheduleCommon {
  timezone: string;
  catchUp: boolean;
  /** As the user wrote it, for plan output: "daily at 06:00 (Europe/Berlin)". */
  description: string;
  /** Pointer (relative to the pipeline) of the schedule's defining key. */
  pointer: string;
}

/**
 * daily / weekly / monthly / hourly normalize to cron, and so does a clock `every` that divides an
 * hour or a day; other intervals stay `every`. `anchor: completion` counts from the end of the
 * previous run instead of the clock.
 */
export type Schedule = (
  { kind: 'cron'; cron: string } | { kind: 'every'; everyMs: number; anchor: 'clock' | 'completion' }
) &
  ScheduleCommon;

export interface Pipeline {
  name: string;
  description?: string;
  enabled: boolean;
  source: Source;
  mapping?: Mapping;
  diff?: Diff;
  sink: Sink;
  schedule?: Schedule;
  /**
   * Destructive-change limits: `defaults.guards` overridden one by one by the pipeline's own; absent
   * when neither sets one (mode: mirror still gets max_deleted 50%: plan/evaluate-guards.ts).
   */
  guards?: Guards;
  /** Only when the pipeline sets `notify` (else `defaults.notify` applies; see engine/notify). */
  notify?: NotifyRoutes;
  /** Data checks on the mapped rows: the pipeline's own, then its dataset sink's (docs/data-checks.md). */
  checks?: Check[];
  /** Schema drift policy; absent: the built-in defaults (DEFAULT_SCHEMA_POLICY). */
  schema?: SchemaPolicy;
  origin: Origin;
}

/** What a check does when rows fail it (docs/data-checks.md). */
interface CheckCommon {
  /** Unique within the pipeline: plans, errors and the rejected-rows file name checks by it. */
  name: string;
  severity: 'warn' | 'fail';
  onFail: 'fail_run' | 'reject_rows';
}

export type Check = CheckCommon &
  (
    | { kind: 'unique'; columns: string[] }
    | { kind: 'not_null'; columns: string[] }
    | { kind: 'accepted_values'; column: string; values: Array<string | number | boolean> }
    | { kind: 'matches'; column: string; pattern: string }
    | { kind: 'range'; column: string; min?: number | string; max?: number | string }
    | { kind: 'row_count'; min?: number; max?: number }
    | { kind: 'row_count_change'; maxDecreasePercent?: number; maxIncreasePercent?: number }
    | { kind: 'freshness'; column: string; maxAge: string; maxAgeMs: number }
    | { kind: 'sql'; expression?: string; query?: string }
  );

/** Types a schema contract can declare and drift detection infers for text columns. */
export type SchemaType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'DATE' | 'TIMESTAMP';

/** Schema drift policy of a pipeline's source (docs/data-checks.md). */
export interface SchemaPolicy {
  onNewColumn: 'include' | 'ignore' | 'fail';
  onMissingColumn: 'fail' | 'null';
  onTypeChange: 'fail' | 'reject_rows' | 'cast';
  /** A declared contract: expected types (they take precedence over the previous run's) and required columns. */
  columns: Record<string, { type?: SchemaType; required: boolean }>;
}

/** Who hears about runs: target names (keys of `Project.notifications`). */
export interface NotifyRoutes {
  onFailure: string[];
  onSuccess: string[];
  /** A `pick: sequence` source is overdue; defaults to the onFailure targets. */
  onStale: string[];
}

/** `sink.notify`: email a presigned link to each written file through an SMTP target. */
export interface ExportNotify {
  to: string[];
  /** The SMTP target (a key of `Project.notifications`). */
  via: string;
  linkExpiresMs: number;
}

/**
 * A webhook target. `headers` keep their values as written (literal or `${…}` reference) and
 * `secret` stays a reference: both are resolved only when a notification is sent.
 */
export interface WebhookTarget {
  kind: 'webhook';
  name: string;
  url: string;
  headers: Record<string, string>;
  secret?: SecretRef;
  timeoutMs: number;
  maxAttempts: number;
  origin: Origin;
}

export interface SmtpTarget {
  kind: 'smtp';
  name: string;
  host: string;
  port: number;
  secure: boolean;
  starttls: 'required' | 'opportunistic' | 'off';
  tlsRejectUnauthorized: boolean;
  username?: string;
  password?: SecretRef;
  from: string;
  to: string[];
  timeoutMs: number;
  origin: Origin;
}

export type NotificationTarget = WebhookTarget | SmtpTarget;
