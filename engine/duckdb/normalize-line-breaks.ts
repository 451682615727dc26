/**
 * Two kinds of CSV file DuckDB 1.5 does not read, and the copy ferry reads instead:
 *
 * - **Lines that end both ways**, some with LF and some with CRLF (a header written by one tool and
 *   the rows by another, files concatenated). DuckDB takes one line break for the whole file, and its
 *   strict read either stops at the first line that ends otherwise ("the CSV Parser state machine
 *   reached an invalid state") or reads on with the bare LFs inside values
 *   (`id,note␍␊1,"a␍␊b"␊2␊3,c␍␊` came back as one row with id `a␍␊b"␊2␊` and one reject, where the
 *   file has three records). The copy has every CRLF outside quotes made an LF.
 * - **A CR outside quotes that is not part of a CRLF**, in a file of LF or CRLF lines: DuckDB stops
 *   at it, strict or not, with the "invalid state" above and no line (or, at a CR CR LF, calls the
 *   header badly quoted). A CR alone (a value pasted from an old Mac or a Windows text box) stays
 *   part of its value: the copy quotes that value, as its writer could have. CRs before a CRLF make
 *   one line break with it: a CR CR LF is a CRLF written through a text-mode stream, as Python's csv
 *   module writes on Windows. A CR that ends the file is read as its last line break. A CR alone
 *   after the closing quote of a quoted value, or with a delimiter of two bytes or more (or no quote
 *   or escape character to write the value with), cannot be placed so: it stays as it is, and the
 *   caller names its line if DuckDB then fails.
 *
 * Either way the copy has the same records and line numbers (a CR or CRLF inside a quoted value
 * stays). A file whose first line ends with a CR alone has CR line breaks for DuckDB, as it has for
 * its reader (it reads the first line's break for the file's): it is left to DuckDB, as before. Only files the census of find-long-line.ts flags come here (some CRLF and some bare LF, or a
 * CR not before an LF, quoted ones included), so a file whose lines all end alike pays nothing more. One pass, byte by
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
const SPACE = 0x20;

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
  /** Lines that ended with two or more CRs and an LF, now with one LF. */
  crCrLfLines: number;
  /**
   * The line of the first CR alone that no quoting places in its value (after the closing quote of a
   * quoted value, or with a delimiter of two bytes or more): the copy keeps it as it is, for DuckDB
   * to reject or fail at.
   */
  unplaceableCrLine: number | undefined;
  /** Whether the copy differs from the file and is left at `dest` (else nothing is). */
  copied: boolean;
}

/** The counts of a file the scan finds nothing in. */
const NOTHING_FOUND = {
  strayCrs: 0,
  firstStrayCrLine: undefined,
  finalCrMadeLf: false,
  crCrLfLines: 0,
  unplaceableCrLine: undefined,
} satisfies Omit<NormalizedCsv, 'crlfMadeLf' | 'copied'>;

/** What the scan counts as it goes: the result's counts, and every line break outside quotes. */
interface Found extends Omit<NormalizedCsv, 'crlfMadeLf' | 'copied'> {
  crlf: number;
  lf: number;
  /** How the first line outside quotes ends: LF (or CRLF, CR CR LF), or a CR alone. */
  firstLineBreak?: 'lf' | 'cr';
}

/** How many CRs follow one another in `chunk` from `start`. */
function crsFrom(chunk: Buffer, start: number): number {
  let end = start;
  while (end < chunk.length && chunk[end] === CR) end += 1;
  return end - start;
}

function byteOf(character: string): number {
  return character.length === 1 && Buffer.byteLength(character, 'latin1') === 1
    ? (Buffer.from(character, 'latin1')[0] ?? -1)
    : -1;
}

/**
 * The scanner. Its state between chunks: inside a quoted value, after an escape character in one, a CR
 * outside quotes at the end of the last chunk (an LF may start the next), and the value being read
 * while it is unquoted: its bytes are held back until it ends, so that it can still be quoted when a
 * CR alone turns up in it.
 */
function createNormalizingTransform(options: LineBreakOptions, found: Found): Transform {
  const quote = byteOf(options.quote);
  const escape = byteOf(options.escape);
  const delimiter = Buffer.byteLength(options.delimiter, 'utf8') === 1 ? byteOf(options.delimiter) : -1;
  // Only with a quote to wrap a value in, and a delimiter whose byte ends a value.
  const splitsValues = delimiter !== -1;
  const canPlace = quote !== -1 && splitsValues;
  const escapeInQuotes = escape !== -1 && escape !== quote ? escape : -1;
  let quoted = false;
  let escaped = false;
  // The last byte closed a quoted value; the value so far is nothing but spaces.
  let closedQuote = false;
  let blank = true;
  // CRs outside quotes that ended the last chunk: an LF at the start of the next makes them a line break.
  let pendingCrs = 0;
  let line = 1;
  // The value being read, while it is unquoted: its bytes since `valueStart` in `out`. A value that
  // opens with a quote has valueStart -1 until the next value starts.
  let held: Buffer = Buffer.alloc(0);
  let valueStart = 0;
  // The CRs alone in the value (0: none, or it is not unquoted), and the line of its first.
  let valueCrs = 0;
  let valueCrLine = 0;
  // This chunk's output (a new buffer each time: what is passed on is a view of it).
  let out: Buffer = Buffer.alloc(0);
  let o = 0;

  /** Ends the value at `o`: quotes it when it holds a CR alone. */
  const endValue = () => {
    if (valueCrs > 0 && valueStart !== -1) {
      const value = Buffer.from(out.subarray(valueStart, o));
      if (escape === -1 && value.includes(quote)) {
        // A quote inside it (part of an unquoted value) cannot be written inside quotes.
        found.unplaceableCrLine ??= valueCrLine;
      } else {
        o = valueStart;
        out[o++] = quote;
        for (const byte of value) {
          // Inside quotes, a quote (and an escape character) is escaped.
          if (byte === quote || byte === escapeInQuotes) out[o++] = escape;
          out[o++] = byte;
        }
        out[o++] = quote;
        found.strayCrs += valueCrs;
        found.firstStrayCrLine ??= valueCrLine;
      }
    }
    valueCrs = 0;
  };
  const lineBreak = () => {
    endValue();
    out[o++] = LF;
    line += 1;
    valueStart = o;
    blank = true;
  };
  const strayCr = () => {
    blank = false;
    if (canPlace && valueStart !== -1) {
      if (valueCrs === 0) valueCrLine = line;
      valueCrs += 1;
    } else {
      found.unplaceableCrLine ??= line;
    }
    out[o++] = CR;
  };
  /**
   * A run of `n` CRs outside quotes: with an LF after it, one line break (a CR CR LF is a CRLF written
   * through a text-mode stream, as Python's csv module writes on Windows); else each CR is alone in
   * its value. True when the run ended a line (the LF is consumed).
   */
  const crRun = (n: number, beforeLf: boolean): boolean => {
    found.firstLineBreak ??= beforeLf ? 'lf' : 'cr';
    if (!beforeLf) {
      for (let k = 0; k < n; k += 1) strayCr();
      return false;
    }
    found.crlf += 1;
    if (n > 1) found.crCrLfLines += 1;
    lineBreak();
    return true;
  };
  /** Room for the held bytes and a chunk, each byte perhaps escaped, and two quotes. */
  const start = (chunkLength: number) => {
    out = Buffer.allocUnsafe(2 * (held.length + chunkLength) + 4);
    held.copy(out, 0);
    o = held.length;
    if (valueStart !== -1) valueStart = 0;
  };
  /** Passes on what is done, holding back the value still unquoted (when a CR in it could be placed). */
  const finish = (): Buffer => {
    const upTo = valueStart === -1 || !canPlace ? o : valueStart;
    held = Buffer.from(out.subarray(upTo, o));
    return out.subarray(0, upTo);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      start(chunk.length);
      let i = 0;
      if (pendingCrs > 0) {
        const n = crsFrom(chunk, 0);
        if (n === chunk.length) {
          pendingCrs += n;
          callback(null, finish());
          return;
        }
        i = crRun(pendingCrs + n, chunk[n] === LF) ? n + 1 : n;
        pendingCrs = 0;
      }
      for (; i < chunk.length; i += 1) {
        const byte = chunk[i] ?? 0;
        if (quoted) {
          if (escaped) escaped = false;
          else if (byte === escape && escape !== quote) escaped = true;
          else if (byte === quote) quoted = false;
          closedQuote = !quoted;
          if (byte === LF) line += 1;
          out[o++] = byte;
          continue;
        }
        // A quote right after the one that closed a quoted value, when quotes escape themselves ("").
        const doubled = closedQuote && byte === quote && escape === quote;
        closedQuote = false;
        if (byte === CR) {
          const n = crsFrom(chunk, i);
          if (i + n === chunk.length) {
            pendingCrs = n;
            break;
          }
          // Past the run, and past its LF when the run ends the line.
          i += crRun(n, chunk[i + n] === LF) ? n : n - 1;
        } else if (byte === LF) {
          found.lf += 1;
          found.firstLineBreak ??= 'lf';
          lineBreak();
        } else if (byte === delimiter) {
          endValue();
          out[o++] = byte;
          valueStart = o;
          blank = true;
        } else {
          // As DuckDB reads: a quote opens a quoted value at its start (after spaces only), or doubled;
          // one inside an unquoted value is part of it. Without a one-byte delimiter values are not
          // told apart, so every quote opens one.
          // (A value that opens so holds no CR alone: a CR makes it not blank.)
          if (byte === quote && (doubled || !splitsValues || (blank && valueStart !== -1))) {
            quoted = true;
            valueStart = -1;
          }
          if (byte !== SPACE) blank = false;
          out[o++] = byte;
        }
      }
      callback(null, finish());
    },
    flush(callback) {
      start(0);
      if (pendingCrs > 0) {
        found.finalCrMadeLf = true;
        found.firstLineBreak ??= 'cr';
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
 * Writes `path` to `dest`, decompressed, with every CRLF outside quotes made an LF, each CR alone
 * outside quotes placed in its value and CRs before a CRLF dropped, and says what it changed. The copy
 * is left only when the file needed it (`copied`): its line breaks outside quotes are mixed (CRLF and
 * LF), or a CR outside quotes is not part of a CRLF.
 */
export async function writeNormalizedCsv(
  path: string,
  dest: string,
  options: LineBreakOptions,
): Promise<NormalizedCsv> {
  const found: Found = { ...NOTHING_FOUND, crlf: 0, lf: 0 };
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
  const { crlf, lf, firstLineBreak, ...kept } = found;
  const mixed = crlf > 0 && lf > 0;
  const result: NormalizedCsv = {
    ...kept,
    crlfMadeLf: mixed ? crlf : 0,
    copied: mixed || kept.strayCrs > 0 || kept.finalCrMadeLf || kept.crCrLfLines > 0,
  };
  // A first line that ends with a CR (or no line ending outside quotes): DuckDB takes CR for the line
  // break, as in an old Mac export (whose values may hold a quoted LF: Excel's "Macintosh" CSV writes
  // a line break in a cell so). It reads such a file, or rejects or fails it, as it always did.
  const leftToDuckDb = firstLineBreak !== 'lf';
  if (leftToDuckDb || !result.copied) await rm(dest, { force: true });
  return leftToDuckDb ? { ...NOTHING_FOUND, crlfMadeLf: 0, copied: false } : result;
}
