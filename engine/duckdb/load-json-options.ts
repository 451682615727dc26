/** What loadJson takes and gives (its own module, so the loader's parts share it without a cycle). */
import type { Compression } from './detect-compression.js';
import type { MaxRejects } from './enforce-max-rejects.js';
import type { JsonReject } from './validate-ndjson-file.js';

export interface LoadJsonOptions {
  /** Local file inside the session's temp dir. */
  path: string;
  /** Table to create; it must not exist. */
  table: string;
  layout: 'array' | 'ndjson';
  compression: Compression;
  /** The file as the user knows it (e.g. `s3://bucket/key`), for messages. */
  displayName: string;
  /** An empty file (no records): return `empty: true` (`skip`, default) or throw `JSON_EMPTY_FILE`. */
  emptyFile?: 'skip' | 'fail';
  /** Fail with `JSON_REJECTS_OVER_LIMIT` above this many rejected lines (NDJSON). */
  maxRejects?: MaxRejects;
  /**
   * Also copy every rejected NDJSON line into this table (file, line, row, step, reason, record),
   * before max_rejects is enforced, so a file that fails still leaves its bad lines behind.
   */
  keepRejects?: { into: string; file: string; maxRecordChars: number };
  /** How many rejects to return in detail (all are counted). Default 1000. */
  maxRejectDetails?: number;
  /** Longest NDJSON line in bytes; longer ones are rejected. Default 16 MiB (DuckDB's object limit). */
  maxLineBytes?: number;
}

export interface LoadJsonResult {
  /** The table's name; see `tableCreated`. */
  table: string;
  /** False when the file is empty or every record was rejected: there is no table then. */
  tableCreated: boolean;
  /** Top-level keys, sorted. */
  columns: string[];
  /** Each column's DuckDB type, by the rule in json-type.ts (e.g. BIGINT, VARCHAR[], JSON). */
  columnTypes: Record<string, string>;
  rowsLoaded: number;
  rowsRejected: number;
  rejects: JsonReject[];
  /** True when the file holds no records (policy `skip`); no table was created. */
  empty: boolean;
}
