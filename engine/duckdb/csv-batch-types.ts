/**
 * What a CSV batch returns and takes (load-csv-batch.ts, load-csv-batch-joined.ts, csv-batch-checks.ts).
 */
import type { BatchedRows } from './batch-source-sql.js';
import type { Compression } from './detect-compression.js';
import type { MaxRejects } from './enforce-max-rejects.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import type { CsvBatchFile } from './read-csv-batch-plan.js';
import type { CsvReject } from './summarize-csv-rejects.js';

/**
 * One file of a batch, as load-csv.ts would have returned it, and where its rows are (`firstRowid`:
 * its first data row; the header, when there is one, is the row before).
 */
export interface BatchLoadedCsv extends BatchedRows {
  compression: Compression;
  rowsLoaded: number;
  rowsRejected: number;
  rejects: CsvReject[];
  /** This file's reader rejects (a copy of the group's), when it has any. */
  rejectsTable?: string;
}

/** By the file's index in the run's list. */
export type CsvBatch = Map<number, BatchLoadedCsv>;

export interface LoadCsvBatchOptions {
  dialect: NormalizedCsvDialect;
  maxRejects?: MaxRejects;
  maxLineBytes: number;
  /** How many rejects per file to return in detail (all are counted). */
  maxRejectDetails: number;
  /**
   * Puts files the caller holds in memory only on disk, before DuckDB reads them by path (a group
   * that is not read from one joined file). Without it every file must be on disk already.
   */
  ensureOnDisk?: (files: readonly CsvBatchFile[]) => Promise<void>;
}
