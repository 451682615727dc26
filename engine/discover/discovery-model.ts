/**
 * What `ferry discover` finds under a prefix: families of files that one pipeline can take (same
 * name shape, one proposed `match`), the files it leaves aside (README, backups, markers …) and,
 * per family, what reading the newest file showed. Plain data: grouping and YAML are pure
 * (engine/discover), listing and reading happen in engine/run/discover.
 */

export interface ListedFile {
  key: string;
  size: number;
  lastModified: Date;
}

/** Why a file is not proposed for any pipeline. */
export type IgnoreReason =
  'hidden' | 'documentation' | 'backup' | 'marker' | 'checksum' | 'encrypted' | 'unsupported-format';

export interface IgnoredFile extends ListedFile {
  reason: IgnoreReason;
}

export type FormatGuess = 'csv' | 'json' | 'parquet' | 'unknown';

export type CompressionGuess = 'none' | 'gzip' | 'zstd';

export interface FileFamily {
  /** Proposed pipeline name (unique among the families, valid as a ferry name). */
  name: string;
  /** For people: the name shape with the timestamp as its format, e.g. accounts_{YYYYMMDD}.csv. */
  shape: string;
  /** The same, after the family's prefix (accounts_{YYYYMMDD}.csv). */
  fileShape: string;
  /** The pipeline's `source.prefix`: the discovered prefix plus the family's constant folders. */
  prefix: string;
  /** The pipeline's `source.match`: anchored RE2, with a `timestamp` group when names carry one. */
  match: string;
  timestampFormat?: string;
  /** Files in timestamp order (key order without a timestamp). */
  files: ListedFile[];
  /** The file to read: the latest timestamp, else the latest LastModified. */
  newest: ListedFile;
  /** Timestamp range of the names, when they carry one. */
  firstTimestamp?: Date;
  lastTimestamp?: Date;
  format: FormatGuess;
  compression: CompressionGuess;
  pick: 'all-new' | 'sequence';
  order?: 'timestamp' | 'key';
  /** For pick: sequence, from the median gap between timestamps (a ferry duration, e.g. 24h). */
  expectEvery?: string;
  grace?: string;
  /** Things the user should look at (overlapping patterns, irregular gaps …). */
  notes: string[];
}

export interface CsvDialectSample {
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  encoding: 'utf-8' | 'latin-1' | 'utf-16';
  /** The file starts with a byte-order mark (ferry strips a UTF-8 one). */
  bom: boolean;
  newline: 'LF' | 'CRLF' | 'CR';
}

export interface FieldSample {
  name: string;
  /** The type DuckDB's sniffer infers (ferry itself loads text and casts where told). */
  type: string;
  /** Up to three values from the first rows, as text (shown to the user, never written to YAML). */
  values: string[];
}

/** What reading (a part of) the newest file of a family showed. */
export interface FamilySample {
  key: string;
  size: number;
  /** Bytes of the object that were read (a large file is sampled from its start). */
  bytesRead: number;
  /** Only the start of the file was read. */
  partial: boolean;
  format: FormatGuess;
  compression: CompressionGuess;
  csv?: CsvDialectSample;
  json?: { layout: 'array' | 'ndjson' };
  fields: FieldSample[];
  /** Set when the file could not be read; the proposal then keeps the format from the name. */
  error?: { code: string; message: string };
}

export interface Discovery {
  bucket: string;
  /** The prefix that was listed. */
  prefix: string;
  /** Objects listed (folder markers included). */
  listed: number;
  families: FileFamily[];
  ignored: IgnoredFile[];
  /** Zero-byte keys ending in "/" (console folders), left out of everything. */
  folderMarkers: number;
}
