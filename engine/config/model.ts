/**
 * Normalized configuration: one form, defaults applied, durations in ms, delimiters unescaped.
 * `XxxSpec` (config-spec.gen.ts, generated from schemas/) is the YAML as written; these plain nouns
 * are what the planner and steps consume. Unions are discriminated by `kind`, using the YAML words.
 */

/** Where a normalized value came from, for problems found after normalization. */
export interface Origin {
  /** For messages: relative to the working directory when possible. */
  file: string;
  pointer: string;
  /** Absolute path, to find a run-time error's place in the file (pipelines only). */
  path?: string;
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
  origin: Origin;
}

export type StateBackend =
  { kind: 'local'; directory: string } | { kind: 's3'; connection: string; bucket: string; prefix: string };

export interface Dataset {
  name: string;
  kind: 'entity' | 'events';
  key: string[];
  description?: string;
  columns: Record<string, string>;
  keepVersions: number;
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
  };
  pipelineGlobs: string[];
  limits: Limits;
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
}

export type MaxRejects = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

export type SourceFormat =
  | ({ kind: 'csv'; emptyFile: 'skip' | 'fail'; maxRejects: MaxRejects; columns?: string[] } & CsvDialect)
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
  pick: 'newest' | 'all-new' | 'sequence';
  sequence?: { expectEveryMs: number; graceMs: number };
  maxFiles: number;
  order: 'key' | 'timestamp' | 'last-modified';
  onChanged: 'reprocess' | 'skip' | 'fail';
  format: SourceFormat;
  compression: Compression | 'auto';
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
    timezone?: string;
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
  /** The seed's "Email to": an email with a presigned link to each written file. */
  notify?: ExportNotify;
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

/** daily / weekly / monthly / hourly normalize to cron; `every` stays an interval. */
export type Schedule = ({ kind: 'cron'; cron: string } | { kind: 'every'; everyMs: number }) & ScheduleCommon;

export interface Pipeline {
  name: string;
  description?: string;
  enabled: boolean;
  source: Source;
  mapping?: Mapping;
  diff?: Diff;
  sink: Sink;
  schedule?: Schedule;
  /** Only when the pipeline sets `notify` (else `defaults.notify` applies; see engine/notify). */
  notify?: NotifyRoutes;
  origin: Origin;
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
