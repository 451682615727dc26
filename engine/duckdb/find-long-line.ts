/**
 * DuckDB's CSV reader does not reliably reject a physical line longer than `max_line_size`: a 50 MB
 * quoted field came back as "unterminated quote" (on the header line when it was the first record),
 * and an unquoted one vanished with no reject at all. So before DuckDB reads a CSV file, ferry streams
 * it once and finds the first line over the limit itself; a record is at least as long as its longest
 * line. (Records over the limit only through quoted line breaks are rejected correctly by DuckDB.)
 *
 * The stream is read twice only when a line is too long. The first pass looks at each chunk's first
 * and last line break only: a line that starts and ends inside one chunk is shorter than the chunk,
 * so with chunks no longer than the limit only lines that cross a chunk boundary can be too long (the
 * pass counts a CR before the LF as part of the line: it may find a line one byte too long, never miss
 * one). The exact pass then counts lines to name the first long one, CR excluded.
 */
import type { Compression } from './detect-compression.js';
import { canDecompressInNode, openDecompressed } from './open-decompressed.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface LongLine {
  /** 1-based physical line number. */
  line: number;
  /** Its length in bytes, without its line break. */
  bytes: number;
}

/**
 * The first physical line (1-based) longer than `maxLineBytes`, without its line break, and its
 * length; undefined when there is none, or when Node cannot decompress the file (zstd on Node 20).
 */
export async function findLongLine(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<LongLine | undefined> {
  if (!canDecompressInNode(options.compression)) return undefined;
  if (!(await mayHaveLongLine(path, options))) return undefined;
  return findLongLineExactly(path, options);
}

/** False when no line is longer than the limit; true when one may be (one byte of CR aside). */
async function mayHaveLongLine(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<boolean> {
  const max = options.maxLineBytes;
  // Bytes of the current line (CR included) before this chunk.
  let length = 0;
  for await (const chunk of openDecompressed(path, options.compression) as AsyncIterable<Buffer>) {
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) {
      length += chunk.length;
      if (length > max) return true;
      continue;
    }
    if (length + first > max) return true;
    // Lines wholly inside the chunk: each is shorter than the chunk, so only a long chunk can hold one.
    if (chunk.length > max && hasLongLineInside(chunk, first, max)) return true;
    length = chunk.length - chunk.lastIndexOf(NEWLINE) - 1;
  }
  return length > max;
}

function hasLongLineInside(chunk: Buffer, first: number, max: number): boolean {
  let start = first + 1;
  for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
    if (end - start > max) return true;
    start = end + 1;
  }
  return false;
}

async function findLongLineExactly(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<LongLine | undefined> {
  let line = 1;
  let length = 0;
  // The last byte of the previous chunk, for a CR just before a chunk that starts with the LF.
  let previousByte = -1;
  for await (const chunk of openDecompressed(path, options.compression) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      length += end - start;
      // A CR before the LF is part of the line break, not of the record.
      const before = end > 0 ? chunk[end - 1] : previousByte;
      const bytes = length - (length > 0 && before === CARRIAGE_RETURN ? 1 : 0);
      if (bytes > options.maxLineBytes) return { line, bytes };
      line += 1;
      length = 0;
      start = end + 1;
    }
    length += chunk.length - start;
    if (chunk.length > 0) previousByte = chunk[chunk.length - 1] ?? -1;
  }
  return length > options.maxLineBytes ? { line, bytes: length } : undefined;
}
