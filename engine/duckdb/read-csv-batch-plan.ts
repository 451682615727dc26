/**
 * Which CSV files of a run can be loaded together in one DuckDB read (load-csv-batch.ts), decided in
 * Node: each small file is read (decompressed when it is gzip, or zstd on a Node that can) and scanned
 * strictly (scan-csv-records.ts); files whose first record is on line 1, whose width is at least 2,
 * and whose header (or width, without a header) is the same go into one group. Anything else, or a group of one, is left to the one-file
 * load (load-csv.ts), which is the reference: a file that would fail or warn there is never batched
 * on a guess, and whatever the scan cannot vouch for is loaded on its own.
 */
import { readFile, stat } from 'node:fs/promises';
import { detectCompression, type Compression, type DeclaredCompression } from './detect-compression.js';
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { decompressSmall } from './open-decompressed.js';
import { MAX_CSV_COLUMNS } from './probe-csv-first-record.js';
import { scanCsvRecords } from './scan-csv-records.js';
import { validateCsvHeader } from './validate-csv-header.js';

/** Larger files are loaded on their own: statements per file only matter when files are small. */
export const CSV_BATCH_MAX_FILE_BYTES = 1024 * 1024;
/** Files read and scanned at once (small reads; the pool hides their latency, not their CPU). */
const SCAN_CONCURRENCY = 8;
/**
 * Scanned bytes kept for a joined read (CsvBatchFile.text), at most, per plan: gzip files' decompressed
 * bytes (32 MiB of compressed bytes, what the fetch step keeps at most, may decompress to far more) and
 * the bytes of files read from disk.
 */
export const KEPT_TEXT_BYTES = 32 * 1024 * 1024;

export interface CsvBatchSourceFile {
  /** Position in the run's file list. */
  index: number;
  path: string;
  key: string;
  /** The file's size, when the caller knows it (else it is read from the file system). */
  size?: number;
  /** The file's compression as detectCompression decided it (the fetch step), else decided here. */
  compression?: Compression;
  /** The file's bytes as they are on disk, when the caller still has them (no second read). */
  bytes?: Buffer;
}

/** A file the scan vouches for, with what DuckDB must report for it. */
export interface CsvBatchFile extends CsvBatchSourceFile {
  /** Data records (after the header) that DuckDB must load. */
  rowsLoaded: number;
  /** Record numbers (DuckDB's `line`) that DuckDB must reject, ascending: the ragged ones. */
  rejectedLines: number[];
  /** Lines DuckDB counts in the (decompressed) file; where the next file's lines start when joined. */
  lines: number;
  /**
   * The file's bytes as scanned (decompressed), when they are not `bytes` (a gzip file, or a file read
   * from disk) and the plan's KEPT_TEXT_BYTES allowed: what a joined read writes for it.
   */
  text?: Buffer;
}

export interface CsvBatchGroup {
  compression: Compression;
  /** Column names in file order (the header's, or source.format.columns, or column1…N). */
  columns: string[];
  /** The header record every file of the group starts with (header: true). */
  header: string[] | undefined;
  files: CsvBatchFile[];
}

export interface ReadCsvBatchPlanOptions {
  dialect: NormalizedCsvDialect;
  declaredCompression: DeclaredCompression;
  columns?: readonly string[];
  maxLineBytes: number;
}

/** Groups of two or more files to load together; files in no group are loaded one by one. */
export async function readCsvBatchPlan(
  files: readonly CsvBatchSourceFile[],
  options: ReadCsvBatchPlanOptions,
): Promise<CsvBatchGroup[]> {
  // A few at a time (scanFile never throws: a file it cannot read is simply not batched).
  const scans: Array<Awaited<ReturnType<typeof scanFile>>> = [];
  let next = 0;
  let keptText = 0;
  const keepText = (text: Buffer): boolean => {
    if (keptText + text.length > KEPT_TEXT_BYTES) return false;
    keptText += text.length;
    return true;
  };
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i];
      if (file !== undefined) scans[i] = await scanFile(file, options, keepText).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
  const groups = new Map<string, CsvBatchGroup>();
  for (const scanned of scans) {
    if (scanned === undefined) continue;
    const { compression, columns, header } = scanned;
    const groupKey = JSON.stringify([compression, columns, header ?? null]);
    const group = groups.get(groupKey) ?? { compression, columns, header, files: [] };
    group.files.push(scanned.file);
    groups.set(groupKey, group);
  }
  return [...groups.values()].filter((group) => group.files.length >= 2);
}

async function scanFile(
  file: CsvBatchSourceFile,
  options: ReadCsvBatchPlanOptions,
  keepText: (text: Buffer) => boolean,
): Promise<(Omit<CsvBatchGroup, 'files'> & { file: CsvBatchFile }) | undefined> {
  const { dialect } = options;
  const compression =
    file.compression ??
    (
      await detectCompression(file.path, {
        declared: options.declaredCompression,
        key: file.key,
        ...(file.bytes !== undefined ? { head: file.bytes } : {}),
      })
    ).compression;
  const bytes = await readSmallFile(file, compression);
  if (bytes === undefined) return undefined;
  const scanned = scanCsvRecords(bytes, dialect, { maxLineBytes: options.maxLineBytes });
  if (scanned?.first === undefined) return undefined;
  const header = dialect.header ? scanned.first : undefined;
  const width = header?.length ?? options.columns?.length ?? scanned.first.length;
  if (width < 2 || width > MAX_CSV_COLUMNS) return undefined;
  if (options.columns !== undefined && options.columns.length !== width) return undefined;
  const columns =
    options.columns !== undefined
      ? [...options.columns]
      : (header ?? Array.from({ length: width }, (_, i) => `column${i + 1}`));
  if (header !== undefined && options.columns === undefined && !isValidHeader(header)) return undefined;
  const firstDataLine = dialect.header ? 2 : 1;
  const data = scanned.records.filter((record) => record.line >= firstDataLine);
  if (data.some((record) => record.fields > width && record.endsWithDelimiter)) return undefined;
  const rejectedLines = data.filter((record) => record.fields !== width).map((record) => record.line);
  const keep = (compression !== 'none' || file.bytes === undefined) && keepText(bytes);
  return {
    compression,
    columns,
    header,
    file: {
      ...file,
      rowsLoaded: data.length - rejectedLines.length,
      rejectedLines,
      lines: scanned.lines,
      ...(keep ? { text: bytes } : {}),
    },
  };
}

function isValidHeader(names: readonly string[]): boolean {
  try {
    validateCsvHeader(names, '');
    return true;
  } catch {
    return false;
  }
}

/** The file's bytes, decompressed; undefined when it is large, or zstd and Node cannot decompress it. */
async function readSmallFile(
  file: CsvBatchSourceFile,
  compression: Compression,
): Promise<Buffer | undefined> {
  const { path, bytes } = file;
  if ((bytes?.length ?? file.size ?? (await stat(path)).size) > CSV_BATCH_MAX_FILE_BYTES) return undefined;
  const raw = bytes ?? (await readFile(path));
  // A file that is not the size it was said to be is left to the one-file load.
  if (raw.length > CSV_BATCH_MAX_FILE_BYTES) return undefined;
  return await decompressSmall(raw, compression, CSV_BATCH_MAX_FILE_BYTES);
}
