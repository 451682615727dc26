/**
 * Two kinds of CSV file DuckDB 1.5 does not read, and the copy ferry reads instead:
 *
 * - **Lines that end both ways**, some with LF and some with CRLF (a header written by one tool and
 *   the rows by another, files concatenated). DuckDB takes one line break for the whole file, and its
 *   strict read either stops at the first line that ends otherwise ("the CSV Parser state machine
 *   reached an invalid state") or reads on with the bare LFs inside values
 *   (`id,note␍␊1,"a␍␊b"␊2␊3,c␍␊` came back as one row with id `a␍␊b"␊2␊` and one reject, where the
 *   file has three records). The copy has every CRLF outside quotes made an LF.
 * - **A CR alone outside quotes** in a file of LF or CRLF lines (a value pasted from an old Mac or a
 *   Windows text box): DuckDB stops at it, strict or not, with the "invalid state" above and no line.
 *   The copy quotes the value that holds it, so the CR stays part of that value, as it would had the
 *   writer quoted it. A CR alone that ends the file is read as its last line break. A CR after a
 *   quote in its value cannot be placed so: the caller names its line instead.
 *
 * Either way the copy has the same records, values and line numbers (a CR or CRLF inside a quoted
 * value stays). Only files the census of find-long-line.ts flags (some CRLF and some bare LF), and
 * files DuckDB failed to read, come here, so a file that reads pays nothing more. One pass, byte by
 * byte, in Node; only for encodings whose line breaks, quotes and delimiter are single bytes that no
 * other character contains (UTF-8, Latin-1), and only for files Node can decompress (the copy is
 * uncompressed).
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
  /** The delimiter: a CR alone is placed in its value only when it is one byte (and there is a quote). */
  delimiter: string;
}

/** Whether `writeNormalizedCsv` can read the file at all. */
export function canNormalizeLineBreaks(options: LineBreakOptions): boolean {
  return (
    (options.encoding === 'utf-8' || options.encoding === 'latin-1') &&
    canDecompressInNode(options.compression) &&
    options.quote.length <= 1 &&
    options.escape.length <= 1
  );
}

/** What the copy changed. */
export interface NormalizedCsv {
  /** CRLFs outside quotes made LF when the file also had bare LFs there (0 when it had not). */
  crlfMadeLf: number;
  /** CRs alone outside quotes, now inside their values (quoted). */
  strayCrs: number;
  /** The physical line (1-based) of the first of them. */
  firstStrayCrLine: number | undefined;
  /** A CR alone outside quotes ended the file, and now an LF does. */
  finalCrMadeLf: boolean;
  /** The line of a CR alone after a quote in its value, which no quoting places in the value. */
  unplaceableCrLine: number | undefined;
}

interface Found {
  crlf: number;
  lf: number;
  strayCrs: number;
  firstStrayCrLine: number | undefined;
  finalCrMadeLf: boolean;
  unplaceableCrLine: number | undefined;
}

function byteOf(character: string): number {
  return character.length === 1 && Buffer.byteLength(character, 'latin1') === 1
    ? (Buffer.from(character, 'latin1')[0] ?? -1)
    : -1;
}

/**
 * The scanner. Its state between chunks: inside a quoted value, after an escape character in one, a CR
 * outside quotes at the end of the last chunk (an LF may start the next), and the value being read
 * when no quote has been seen in it yet: its bytes are held back until it ends, so that it can still
 * be quoted when a CR alone turns up in it.
 */
function createNormalizingTransform(options: LineBreakOptions, found: Found): Transform {
  const quote = byteOf(options.quote);
  const escape = byteOf(options.escape);
  const delimiter = Buffer.byteLength(options.delimiter, 'utf8') === 1 ? byteOf(options.delimiter) : -1;
  // Only with a quote to wrap a value in, and a delimiter whose byte ends a value.
  const canPlace = quote !== -1 && delimiter !== -1;
  const escapeInQuotes = escape !== -1 && escape !== quote ? escape : -1;
  let quoted = false;
  let escaped = false;
  let pendingCr = false;
  let line = 1;
  // The value being read, unquoted so far: its bytes since `valueStart` in `out`, and whether a CR
  // alone is among them. Once a quote is seen in it, valueStart is -1 until the next value.
  let held: Buffer = Buffer.alloc(0);
  let valueStart = 0;
  let valueHasCr = false;
  // This chunk's output (a new buffer each time: what is passed on is a view of it).
  let out: Buffer = Buffer.alloc(0);
  let o = 0;

  /** Ends the value at `o`: quotes it when it holds a CR alone. */
  const endValue = () => {
    if (valueHasCr && valueStart !== -1) {
      const value = Buffer.from(out.subarray(valueStart, o));
      o = valueStart;
      out[o++] = quote;
      for (const byte of value) {
        if (byte === escapeInQuotes) out[o++] = escape;
        out[o++] = byte;
      }
      out[o++] = quote;
    }
    valueHasCr = false;
  };
  const lineBreak = () => {
    endValue();
    out[o++] = LF;
    line += 1;
    valueStart = o;
  };
  const strayCr = () => {
    if (canPlace && valueStart !== -1) {
      found.strayCrs += 1;
      found.firstStrayCrLine ??= line;
      valueHasCr = true;
    } else {
      found.unplaceableCrLine ??= line;
    }
    out[o++] = CR;
  };
  /** Room for the held bytes and a chunk, each byte perhaps escaped, and two quotes. */
  const start = (chunkLength: number) => {
    out = Buffer.allocUnsafe(2 * (held.length + chunkLength) + 4);
    held.copy(out, 0);
    o = held.length;
    if (valueStart !== -1) valueStart = 0;
  };
  /** Passes on what is done, holding back the value still unquoted. */
  const finish = (): Buffer => {
    const upTo = valueStart === -1 ? o : valueStart;
    held = Buffer.from(out.subarray(upTo, o));
    return out.subarray(0, upTo);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      start(chunk.length);
      let i = 0;
      if (pendingCr) {
        pendingCr = false;
        if (chunk[0] === LF) {
          found.crlf += 1;
          lineBreak();
          i = 1;
        } else {
          strayCr();
        }
      }
      for (; i < chunk.length; i += 1) {
        const byte = chunk[i] ?? 0;
        if (quoted) {
          if (escaped) escaped = false;
          else if (byte === escape && escape !== quote) escaped = true;
          else if (byte === quote) quoted = false;
          if (byte === LF) line += 1;
          out[o++] = byte;
        } else if (byte === CR) {
          if (i + 1 === chunk.length) {
            pendingCr = true;
          } else if (chunk[i + 1] === LF) {
            found.crlf += 1;
            lineBreak();
            i += 1;
          } else {
            strayCr();
          }
        } else if (byte === LF) {
          found.lf += 1;
          lineBreak();
        } else if (byte === delimiter) {
          endValue();
          out[o++] = byte;
          valueStart = o;
        } else {
          if (byte === quote) {
            quoted = true;
            // A CR alone before a quote in the same value: quoting the value would not keep it.
            if (valueHasCr) found.unplaceableCrLine ??= line;
            valueHasCr = false;
            valueStart = -1;
          }
          out[o++] = byte;
        }
      }
      callback(null, finish());
    },
    flush(callback) {
      start(0);
      if (pendingCr) {
        found.finalCrMadeLf = true;
        lineBreak();
      } else {
        endValue();
      }
      valueStart = -1;
      callback(null, finish());
    },
  });
}

/**
 * Writes `path` to `dest`, decompressed, with every CRLF outside quotes made an LF and each CR alone
 * outside quotes placed in its value, when the file needs either: its line breaks outside quotes are
 * mixed (CRLF and LF), or it has a CR alone. Undefined, and nothing left at `dest`, when it needs
 * neither, and nothing left either when a CR alone cannot be placed (`unplaceableCrLine`).
 */
export async function writeNormalizedCsv(
  path: string,
  dest: string,
  options: LineBreakOptions,
): Promise<NormalizedCsv | undefined> {
  const found: Found = {
    crlf: 0,
    lf: 0,
    strayCrs: 0,
    firstStrayCrLine: undefined,
    finalCrMadeLf: false,
    unplaceableCrLine: undefined,
  };
  try {
    await pipeline(
      openDecompressed(path, options.compression),
      createNormalizingTransform(options, found),
      createWriteStream(dest, { flags: 'wx' }),
    );
  } catch (error) {
    await rm(dest, { force: true });
    throw error;
  }
  const mixed = found.crlf > 0 && found.lf > 0;
  const result: NormalizedCsv = {
    crlfMadeLf: mixed ? found.crlf : 0,
    strayCrs: found.strayCrs,
    firstStrayCrLine: found.firstStrayCrLine,
    finalCrMadeLf: found.finalCrMadeLf,
    unplaceableCrLine: found.unplaceableCrLine,
  };
  if (result.unplaceableCrLine !== undefined) {
    await rm(dest, { force: true });
    return result;
  }
  if (mixed || found.strayCrs > 0 || found.finalCrMadeLf) return result;
  await rm(dest, { force: true });
  return undefined;
}
