/**
 * DuckDB's CSV reader does not reliably reject a physical line longer than `max_line_size`: a 50 MB
 * quoted field came back as "unterminated quote" (on the header line when it was the first record),
 * and an unquoted one vanished with no reject at all. So before DuckDB reads a CSV file, ferry streams
 * it once and finds the first line over the limit itself; a record is at least as long as its longest
 * line. (Records over the limit only through quoted line breaks are rejected correctly by DuckDB.)
 */
import type { Compression } from './detect-compression.js';
import { canDecompressInNode, openDecompressed } from './open-decompressed.js';

const NEWLINE = 0x0a;

/**
 * The first physical line (1-based) longer than `maxLineBytes`, without its line break, and its
 * length; undefined when there is none, or when Node cannot decompress the file (zstd on Node 20).
 */
export async function findLongLine(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<{ line: number; bytes: number } | undefined> {
  if (!canDecompressInNode(options.compression)) return undefined;
  let line = 1;
  let length = 0;
  for await (const chunk of openDecompressed(path, options.compression) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      length += end - start;
      // A CR before the LF is part of the line break, not of the record.
      const bytes = length - (end > start ? (chunk[end - 1] === 0x0d ? 1 : 0) : 0);
      if (bytes > options.maxLineBytes) return { line, bytes };
      line += 1;
      length = 0;
      start = end + 1;
    }
    length += chunk.length - start;
  }
  return length > options.maxLineBytes ? { line, bytes: length } : undefined;
}
