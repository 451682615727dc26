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
 *
 * The first pass also takes a census of the line breaks (surveyCsvLines): whether some lines end with
 * CRLF and others with LF, or a CR stands alone, which DuckDB does not read (normalize-line-breaks.ts).
 * It costs a search for a CR per chunk in a file of LF lines; only a file with CRs has its LFs and CRs
 * looked at one by one.
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

/** What the one pass over a CSV file before DuckDB reads it finds. */
export interface CsvLineSurvey {
  /** The first line over the limit, when there is one. */
  longLine: LongLine | undefined;
  /**
   * Some line breaks are CRLF and some a bare LF (quoted ones counted too: a quoted line break may
   * make a file look mixed that DuckDB reads as it is; normalize-line-breaks.ts tells them apart).
   */
  mixedLineBreaks: boolean;
  /** A CR not before an LF, in a file with LF line breaks (quoted ones counted too, as above). */
  strayCarriageReturns: boolean;
}

/**
 * The first physical line (1-based) longer than `maxLineBytes`, without its line break, and its
 * length; undefined when there is none, or when Node cannot decompress the file (zstd on Node 20).
 */
export async function findLongLine(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<LongLine | undefined> {
  return (await surveyCsvLines(path, options))?.longLine;
}

/** findLongLine, and the line-break census, in one pass; undefined when Node cannot decompress the file. */
export async function surveyCsvLines(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<CsvLineSurvey | undefined> {
  if (!canDecompressInNode(options.compression)) return undefined;
  const first = await firstPass(path, options);
  const longLine = first.mayHaveLongLine ? await findLongLineExactly(path, options) : undefined;
  return { longLine, mixedLineBreaks: first.census.mixed, strayCarriageReturns: first.census.strayCr };
}

/**
 * Whether a file's line breaks are CRLF, bare LF, or both, and whether a CR stands alone (not before
 * an LF) in a file of such lines; fed one chunk after the other. Quoted ones count too: the copy of
 * normalize-line-breaks.ts tells them apart, and is dropped when they were all quoted.
 */
class LineBreakCensus {
  private crlf = false;
  private bareLf = false;
  private loneCr = false;
  private previousByte = -1;

  get mixed(): boolean {
    return this.crlf && this.bareLf;
  }

  /** A CR alone in a file with LF line breaks (a file whose lines all end with CR is not this). */
  get strayCr(): boolean {
    return this.loneCr && (this.crlf || this.bareLf);
  }

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.mixed && !this.strayCr) {
      if (this.previousByte === CARRIAGE_RETURN && chunk[0] !== NEWLINE) this.loneCr = true;
      let i = chunk.indexOf(NEWLINE);
      if (
        i !== -1 &&
        !this.crlf &&
        this.previousByte !== CARRIAGE_RETURN &&
        !chunk.includes(CARRIAGE_RETURN)
      ) {
        this.bareLf = true; // LFs, and no CR any of them could follow
      } else {
        for (; i !== -1 && !this.mixed; i = chunk.indexOf(NEWLINE, i + 1)) {
          if ((i > 0 ? chunk[i - 1] : this.previousByte) === CARRIAGE_RETURN) this.crlf = true;
          else this.bareLf = true;
        }
        // A CR at the chunk's end is judged by the next chunk's first byte (above).
        let cr = this.loneCr ? -1 : chunk.indexOf(CARRIAGE_RETURN);
        for (; cr !== -1 && cr + 1 < chunk.length; cr = chunk.indexOf(CARRIAGE_RETURN, cr + 1)) {
          if (chunk[cr + 1] !== NEWLINE) {
            this.loneCr = true;
            break;
          }
        }
      }
    }
    this.previousByte = chunk[chunk.length - 1] ?? -1;
  }

  /** After the last chunk: a CR that ends the file stands alone too. */
  end(): void {
    if (this.previousByte === CARRIAGE_RETURN) this.loneCr = true;
  }
}

/**
 * Whether a line may be longer than the limit (false: none is; true: one may be, one byte of CR
 * aside), and the line-break census.
 */
async function firstPass(
  path: string,
  options: { compression: Compression; maxLineBytes: number },
): Promise<{ mayHaveLongLine: boolean; census: LineBreakCensus }> {
  const max = options.maxLineBytes;
  const census = new LineBreakCensus();
  let mayHaveLongLine = false;
  // Bytes of the current line (CR included) before this chunk.
  let length = 0;
  for await (const chunk of openDecompressed(path, options.compression) as AsyncIterable<Buffer>) {
    census.add(chunk);
    if (mayHaveLongLine) continue; // the census goes on; the exact pass names the line
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) {
      length += chunk.length;
      if (length > max) mayHaveLongLine = true;
      continue;
    }
    // Lines wholly inside the chunk: each is shorter than the chunk, so only a long chunk can hold one.
    if (length + first > max || (chunk.length > max && hasLongLineInside(chunk, first, max))) {
      mayHaveLongLine = true;
      continue;
    }
    length = chunk.length - chunk.lastIndexOf(NEWLINE) - 1;
  }
  census.end();
  return { mayHaveLongLine: mayHaveLongLine || length > max, census };
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
