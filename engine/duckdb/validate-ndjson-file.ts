/**
 * DuckDB's JSON reader has no rejects table: one bad line fails the whole file, and `ignore_errors`
 * turns bad lines into NULL rows. So ferry reads NDJSON once in a stream, byte by byte, and sorts each
 * line: good records are copied to a sibling file that DuckDB loads, bad ones are reported with their
 * line number and reason. Bytes are decoded strictly (a Latin-1 byte is an error, never U+FFFD), and a
 * line longer than the cap is skipped without buffering it.
 */

import { open, type FileHandle } from 'node:fs/promises';
import { FerryError } from '../errors/ferry-error.js';
import type { Compression } from './detect-compression.js';
import { canDecompressInNode, openDecompressed } from './open-decompressed.js';
import { utf8BomLength } from './utf8-bom.js';

export type JsonRejectReason = 'malformed' | 'not-an-object' | 'invalid-encoding' | 'line-too-long';

export interface JsonReject {
  /** 1-based physical line number in the (decompressed) file. */
  line: number;
  reason: JsonRejectReason;
  /** The parser's explanation, for people; do not match on it. */
  detail: string;
}

export interface NdjsonValidation {
  /** Non-blank lines: every one is either good or rejected. */
  records: number;
  goodRecords: number;
  rowsRejected: number;
  /** Details, by line, at most `maxDetails`. */
  rejects: JsonReject[];
  /** Top-level keys of the good records, sorted by their UTF-8 bytes (as DuckDB sorts text). */
  keys: string[];
}

export interface ValidateNdjsonOptions {
  compression: Compression;
  /**
   * Where the good lines go (one per line, no BOM, LF endings): a new file at this path, or an open
   * file they are appended to (the caller closes it; the JSON batch puts every file's lines in one).
   */
  output: string | FileHandle;
  maxLineBytes: number;
  maxDetails: number;
  displayName: string;
  /**
   * Where every rejected line goes, as NDJSON {line, reason, detail, record} (record: the line's
   * text, cut at `maxRecordChars`; null when too long to have been kept). Made only when a line is
   * rejected.
   */
  rejectsPath?: string;
  maxRecordChars?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const WRITE_BATCH_BYTES = 1 << 20;

/** Whether this Node can decompress `compression` itself (zstd needs Node >= 22.15). */
export function canValidateNdjson(compression: Compression): boolean {
  return canDecompressInNode(compression);
}

/** Yields each line's bytes (without the newline), or undefined for a line longer than the cap. */
async function* splitLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<Buffer | undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  const take = (piece: Buffer): void => {
    if (overlong) return;
    if (pendingBytes + piece.length > maxLineBytes) {
      overlong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(piece);
    pendingBytes += piece.length;
  };
  const finish = (): Buffer | undefined => {
    const line = overlong ? undefined : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    overlong = false;
    return line;
  };
  for await (const chunk of source) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, end));
      yield finish();
      start = end + 1;
    }
    if (start < chunk.length) take(chunk.subarray(start));
  }
  if (pendingBytes > 0 || overlong) yield finish();
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Checks every line of an NDJSON file, writes the good ones to `output`, and reports the rest.
 * Blank lines are not records. `source` is the file's path, or its bytes as they are on disk.
 * Throws FerryError `JSON_READ_FAILED` if the file cannot be read or decompressed.
 */
export async function validateNdjsonFile(
  source: string | Buffer,
  options: ValidateNdjsonOptions,
): Promise<NdjsonValidation> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const result: NdjsonValidation = { records: 0, goodRecords: 0, rowsRejected: 0, rejects: [], keys: [] };
  const keys = new Set<string>();
  // The rejects file is made at the first reject (most files have none: one open and close saved per
  // file, which counts when a run loads a thousand small files).
  const { rejectsPath } = options;
  let rejectsOutput: FileHandle | undefined;
  let rejectLines: string[] = [];
  const flushRejects = async (): Promise<void> => {
    if (rejectsPath === undefined || rejectLines.length === 0) return;
    rejectsOutput ??= await open(rejectsPath, 'wx');
    await rejectsOutput.write(rejectLines.join(''));
    rejectLines = [];
  };
  const reject = async (
    line: number,
    reason: JsonRejectReason,
    detail: string,
    record: string | null,
  ): Promise<void> => {
    result.rowsRejected += 1;
    if (result.rejects.length < options.maxDetails) result.rejects.push({ line, reason, detail });
    if (rejectsPath === undefined) return;
    const kept = record === null ? null : record.slice(0, options.maxRecordChars ?? record.length);
    rejectLines.push(JSON.stringify({ line, reason, detail, record: kept }) + '\n');
    if (rejectLines.length >= 1000) await flushRejects();
  };

  const ownsOutput = typeof options.output === 'string';
  const output = typeof options.output === 'string' ? await open(options.output, 'wx') : options.output;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    await output.write(Buffer.concat(batch, batchBytes));
    batch = [];
    batchBytes = 0;
  };

  try {
    let lineNumber = 0;
    for await (const raw of splitLines(openDecompressed(source, options.compression), options.maxLineBytes)) {
      lineNumber += 1;
      if (raw === undefined) {
        result.records += 1;
        await reject(lineNumber, 'line-too-long', `longer than ${options.maxLineBytes} bytes`, null);
        continue;
      }
      let bytes = lineNumber === 1 ? raw.subarray(utf8BomLength(raw)) : raw;
      if (bytes.at(-1) === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        result.records += 1;
        await reject(lineNumber, 'invalid-encoding', 'not valid UTF-8', bytes.toString('latin1'));
        continue;
      }
      if (text.trim() === '') continue;
      result.records += 1;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        await reject(lineNumber, 'malformed', error instanceof Error ? error.message : String(error), text);
        continue;
      }
      if (!isPlainObject(value)) {
        await reject(lineNumber, 'not-an-object', `${describeJsonValue(value)}, not an object`, text);
        continue;
      }
      result.goodRecords += 1;
      for (const key of Object.keys(value as object)) keys.add(key);
      batch.push(bytes, Buffer.from('\n'));
      batchBytes += bytes.length + 1;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    await flush();
    await flushRejects();
  } catch (error) {
    throw new FerryError('JSON_READ_FAILED', `${options.displayName} could not be read.`, {
      context: { file: options.displayName, compression: options.compression },
      cause: error,
      hint: 'Check that the compression setting matches the file and that the download was complete.',
    });
  } finally {
    if (ownsOutput) await output.close();
    await rejectsOutput?.close();
  }
  result.keys = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return result;
}
