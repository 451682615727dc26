/**
 * A CSV file whose lines end both ways, some with LF and some with CRLF (a header written by one tool
 * and the rows by another, files concatenated), is not read right by DuckDB 1.5: it takes one line
 * break for the whole file, and its strict read either stops at the first line that ends otherwise
 * ("the CSV Parser state machine reached an invalid state") or reads on with the bare LFs inside values
 * (`id,note␍␊1,"a␍␊b"␊2␊3,c␍␊` came back as one row with id `a␍␊b"␊2␊` and one reject, where the file
 * has three records). So load-csv.ts reads a copy in which every CRLF outside quotes is an LF: the
 * same records, fields and line numbers (a CRLF inside a quoted value is part of the value and stays).
 *
 * Only files the census of find-long-line.ts's pass flags (some CRLF and some bare LF, quoted ones
 * included) come here, so a file whose lines all end alike pays nothing more. One pass, byte by byte, in
 * Node: it decides whether the line breaks outside quotes are mixed and writes the copy as it goes
 * (removed again when they are not). Only for encodings whose line breaks and quotes are single bytes
 * that no other character contains (UTF-8, Latin-1), and only for files Node can decompress (the copy
 * is uncompressed).
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Compression } from './detect-compression.js';
import { canDecompressInNode, openDecompressed } from './open-decompressed.js';

const LF = 0x0a;
const CR = 0x0d;

export interface LineBreakOptions {
  compression: Compression;
  encoding: string;
  /** The dialect's quote and escape characters ('' for none). */
  quote: string;
  escape: string;
}

/** Whether `writeWithLfLineBreaks` can read the file at all. */
export function canNormalizeLineBreaks(options: LineBreakOptions): boolean {
  return (
    (options.encoding === 'utf-8' || options.encoding === 'latin-1') &&
    canDecompressInNode(options.compression) &&
    options.quote.length <= 1 &&
    options.escape.length <= 1
  );
}

/** Counts of line breaks outside quotes, as they were in the file. */
interface Counted {
  crlf: number;
  lf: number;
}

/**
 * The scanner's state between chunks: inside a quoted value, after an escape character in one, and a
 * CR outside quotes at the end of the last chunk (an LF may start the next).
 */
function createLfTransform(options: LineBreakOptions, counted: Counted): Transform {
  const quote = options.quote === '' ? -1 : (Buffer.from(options.quote, 'latin1')[0] ?? -1);
  const escape = options.escape === '' ? -1 : (Buffer.from(options.escape, 'latin1')[0] ?? -1);
  let quoted = false;
  let escaped = false;
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = Buffer.allocUnsafe(chunk.length + 1);
      let o = 0;
      let i = 0;
      if (pendingCr) {
        pendingCr = false;
        if (chunk[0] === LF) {
          counted.crlf += 1;
          out[o++] = LF;
          i = 1;
        } else {
          out[o++] = CR;
        }
      }
      for (; i < chunk.length; i += 1) {
        const byte = chunk[i] ?? 0;
        if (quoted) {
          if (escaped) escaped = false;
          else if (byte === escape && escape !== quote) escaped = true;
          else if (byte === quote) quoted = false;
          out[o++] = byte;
        } else if (byte === CR) {
          if (i + 1 === chunk.length) {
            pendingCr = true;
          } else if (chunk[i + 1] === LF) {
            counted.crlf += 1;
            out[o++] = LF;
            i += 1;
          } else {
            out[o++] = byte;
          }
        } else {
          if (byte === LF) counted.lf += 1;
          else if (byte === quote) quoted = true;
          out[o++] = byte;
        }
      }
      callback(null, out.subarray(0, o));
    },
    flush(callback) {
      callback(null, pendingCr ? Buffer.from([CR]) : undefined);
    },
  });
}

/**
 * Writes `path` to `dest`, decompressed, with every CRLF outside quotes made an LF, when the file's
 * line breaks outside quotes are mixed (both CRLF and LF); returns how many were changed. Undefined,
 * and nothing left at `dest`, when they are not mixed.
 */
export async function writeWithLfLineBreaks(
  path: string,
  dest: string,
  options: LineBreakOptions,
): Promise<number | undefined> {
  const counted: Counted = { crlf: 0, lf: 0 };
  try {
    await pipeline(
      openDecompressed(path, options.compression),
      createLfTransform(options, counted),
      createWriteStream(dest, { flags: 'wx' }),
    );
  } catch (error) {
    await rm(dest, { force: true });
    throw error;
  }
  if (counted.crlf > 0 && counted.lf > 0) return counted.crlf;
  await rm(dest, { force: true });
  return undefined;
}
