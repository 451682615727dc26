/**
 * What the steps of one pipeline run share: the run's identity and clock, its sandboxed DuckDB
 * session and temp dir, S3 clients, and the results each step leaves for the next.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline, Project } from '../config/model.js';
import type { DuckDbSession } from '../duckdb/create-duckdb-session.js';
import type { Compression } from '../duckdb/detect-compression.js';
import type { FerryError } from '../errors/ferry-error.js';
import type { PgpKeyAccess } from '../io/pgp/read-keys.js';
import type { S3ConnectionSettings } from '../io/s3/s3-connection.js';
import type { OutputFile, PipelinePlan, RejectedRow, Step } from '../plan/plan-model.js';
import type { Candidate } from '../plan/select-files.js';
import type { PipelineState, RunCounts } from '../state/pipeline-state.js';
import type { DatasetContext } from './dataset-context.js';

export interface S3Access {
  client: S3Client;
  settings: S3ConnectionSettings;
}

export interface FetchedFile {
  candidate: Candidate;
  path: string;
  sha256: string;
  /** The local file's size in bytes (after decryption), when the fetch step knows it. */
  size?: number;
  /**
   * The file's compression as detectCompression decided it in the fetch step (CSV and JSON sources)
   * or the load step's JSON and Parquet batch paths (small-file-compression.ts), so later steps need
   * not open the file again to decide the same thing.
   */
  compression?: Compression;
  /**
   * The file's bytes, for a small file the fetch step still had in memory (within its
   * KEPT_BYTES_BUDGET): the load step's batch scan takes them instead of reading the file again,
   * and drops them.
   */
  bytes?: Buffer;
  /**
   * Set while the file is only in memory (`bytes`), not yet at `path`: the fetch step leaves small
   * NDJSON and CSV files so for the batch loads, and writeFetchedFile (fetch-step.ts) writes one when
   * a load needs it on disk.
   */
  inMemoryOnly?: true;
}

export interface LocalOutput extends OutputFile {
  path: string;
  /** Connection to upload with, when it is not the upload step's own (dataset rejects). */
  connection?: string;
  /** When not the format's own (an encrypted file). */
  contentType?: string;
  sha256?: string;
}

export interface LoadedFile {
  key: string;
  rowsLoaded: number;
  rowsRejected: number;
  /** Run-wide row number of the file's first loaded row, minus one. */
  offset?: number;
  /**
   * CSV only, when every reject of the file is known: enough to turn a loaded row back into its record
   * number in the file (the header, then data records, with rejected records in between).
   */
  records?: { header: boolean; rejectedRecords: number[] };
}

/** The record number (DuckDB's "line") in the source file of a row of the `source` table. */
export function recordOfRow(file: LoadedFile | undefined, row: number): number | null {
  if (file?.offset === undefined || !file.records) return null;
  let record = row - file.offset + (file.records.header ? 1 : 0);
  for (const rejected of file.records.rejectedRecords) if (rejected <= record) record += 1;
  return record;
}

export interface StepContext {
  mode: 'plan' | 'apply';
  pipeline: Pipeline;
  project: Project;
  runId: string;
  runTime: Date;
  tempDir: string;
  session: DuckDbSession;
  /**
   * The run's input is past the database-file threshold (choose-duckdb-storage.ts): the diff joins by
   * digests, whose hash table fits where one over text does not (compile-diff-sql.ts).
   */
  largeRun?: boolean;
  s3(connection: string): S3Access;
  /** A connection's PGP keys, resolved on first use (secrets resolved there, only there). */
  pgp: PgpKeyAccess;
  state: PipelineState;
  /** Local copy (inside tempDir) of the previous diff snapshot, when there is one. */
  previousSnapshot?: string;
  selected: Candidate[];
  // Results, filled in step by step.
  fetched: FetchedFile[];
  /** Columns of the loaded source (file order, internal columns excluded). */
  sourceColumns: string[];
  /** Per source file: data rows loaded and rows the reader rejected (the map step adds its own). */
  loadedFiles?: LoadedFile[];
  /** Output columns after mapping. */
  columns: string[];
  /**
   * Set when the mapping is a view: turns a failure of the statement that first runs it (a computed
   * column that fails on the data) into the mapping's own error (MAPPING_COMPUTE_FAILED…).
   */
  explainMappingFailure?: (error: unknown) => Promise<FerryError>;
  /** Table holding the rows to write (after map/diff). */
  outputTable?: string;
  /**
   * True when a plain scan of outputTable already gives its rows in ORDER_COLUMN order (a table made
   * in that order, or a filter over one): write-files then copies it without sorting it again.
   */
  outputInOrder?: boolean;
  /** New diff snapshot written in tempDir (committed to state by apply). */
  newSnapshot?: { path: string; rows: number; key: string[] | null };
  outputs: LocalOutput[];
  counts: RunCounts;
  rejects: RejectedRow[];
  warnings: Array<{ code: string; message: string }>;
  sql: Array<{ step: Step['kind']; sql: string }>;
  /** What the check and check-schema steps found: the plan itself, so a failed run still reports it. */
  findings?: Pick<PipelinePlan, 'checks' | 'checkedRows' | 'schemaDrift'>;
  /** Present when the pipeline reads or writes datasets. */
  datasets?: DatasetContext;
}

/** Runs one statement, recording it for `--show-sql`. */
export async function runSql(context: StepContext, step: Step['kind'], sql: string): Promise<void> {
  context.sql.push({ step, sql });
  await context.session.run(sql);
}

export async function querySql(
  context: StepContext,
  step: Step['kind'],
  sql: string,
): Promise<Array<Record<string, unknown>>> {
  context.sql.push({ step, sql });
  return await context.session.all(sql);
}

/** Detailed rejects kept in the report; every reject is counted. */
export const MAX_REJECT_DETAILS = 1000;
