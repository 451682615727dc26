/**
 * A strict CSV record scanner in Node, for small files about to be loaded in one DuckDB read with
 * others (load-csv-batch.ts). It answers what ferry must know to trust a multi-file read: the fields
 * of the first record (the header), and each record's number as DuckDB counts it and its field
 * count, so the rows and rejects DuckDB reports per file can be checked against an independent count.
 * That check is needed: in a multi-file read_csv, an unterminated quote at the end of a file loses its
 * reject (the record vanishes), where a one-file read rejects it.
 *
 * Strict means anything unusual gives up (undefined), and the caller loads the file on its own: a quote
 * inside an unquoted field, text after a closing quote, a quote still open at the end, a lone CR, a NUL
 * byte, an escape character outside quotes (when it is not the quote), a record over `maxLineBytes`,
 * bytes that are not valid UTF-8 (encoding utf-8), a byte order mark outside utf-8, utf-16 at all.
 */
import type { NormalizedCsvDialect } from './normalize-csv-dialect.js';
import { utf8BomLength } from './utf8-bom.js';

export interface ScannedCsvRecord {
  /** DuckDB's `line`: 1-based, blank lines count, line breaks inside quotes do not. */
  line: number;
  fields: number;
  /**
   * The record ends with a delimiter (its last field is empty and unquoted). DuckDB loads such a
   * record with too many fields without a reject when the extra fields are empty (`1,a,,` as 2
   * columns), so the caller cannot predict those by counting.
   */
  endsWithDelimiter: boolean;
}

export interface ScannedCsv {
  /** The fields of the first record when it is on line 1 (undefined after a leading blank line). */
  first: string[] | undefined;
  /** Every non-blank record, in file order (blank lines are skipped by DuckDB in multi-column reads). */
  records: ScannedCsvRecord[];
  /** How many lines DuckDB counts in the file: its line breaks outside quotes, plus a last unended line. */
  lines: number;
}

const LF = 0x0a;
const CR = 0x0d;

type State = 'start' | 'unquoted' | 'quoted' | 'after-quote';

/** Scans `bytes` (already decompressed) with the pinned dialect; undefined when it is not simple. */
export function scanCsvRecords(
  input: Buffer,
  dialect: Pick<NormalizedCsvDialect, 'delimiter' | 'quote' | 'escape' | 'encoding'>,
  options: { maxLineBytes: number },
): ScannedCsv | undefined {
  if (dialect.encoding === 'utf-16') return undefined;
  const bom = utf8BomLength(input);
  if (bom > 0 && dialect.encoding !== 'utf-8') return undefined;
  const bytes = input.subarray(bom);
  if (dialect.encoding === 'utf-8' && !isUtf8(bytes)) return undefined;
  if (bytes.includes(0)) return undefined;

  const delimiter = Buffer.from(dialect.delimiter, 'utf8');
  const quote = dialect.quote === '' ? -1 : Buffer.from(dialect.quote, 'latin1')[0];
  const escape = dialect.escape === '' ? -1 : Buffer.from(dialect.escape, 'latin1')[0];
  const escapeIsQuote = escape === quote;
  const records: ScannedCsvRecord[] = [];
  let first: string[] | undefined;
  let firstField: number[] = [];
  let line = 1;
  let fields = 1;
  let state: State = 'start';
  let recordStart = 0;
  let blank = true;

  const decode = (field: number[]) =>
    Buffer.from(field).toString(dialect.encoding === 'latin-1' ? 'latin1' : 'utf8');
  const endRecord = (end: number): boolean => {
    if (end - recordStart > options.maxLineBytes) return false;
    if (!blank) {
      records.push({ line, fields, endsWithDelimiter: fields > 1 && state === 'start' });
      if (line === 1) (first ??= []).push(decode(firstField));
    }
    line += 1;
    fields = 1;
    state = 'start';
    blank = true;
    firstField = [];
    return true;
  };
  const isDelimiterAt = (i: number) =>
    bytes[i] === delimiter[0] &&
    (delimiter.length === 1 || bytes.subarray(i, i + delimiter.length).equals(delimiter));

  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] ?? 0;
    if (state === 'quoted') {
      blank = false;
      if (!escapeIsQuote && byte === escape) {
        // Only an escaped quote or escape is plain; anything else DuckDB may read otherwise.
        if (bytes[i + 1] !== quote && bytes[i + 1] !== escape) return undefined;
        i += 1;
        if (line === 1) firstField.push(bytes[i] ?? 0);
      } else if (byte === quote) {
        state = 'after-quote';
      } else if (line === 1) {
        firstField.push(byte);
      }
      continue;
    }
    if (byte === LF || (byte === CR && bytes[i + 1] === LF)) {
      if (!endRecord(i)) return undefined;
      if (byte === CR) i += 1;
      recordStart = i + 1;
      continue;
    }
    if (byte === CR) return undefined;
    blank = false;
    if (isDelimiterAt(i)) {
      if (line === 1) (first ??= []).push(decode(firstField));
      firstField = [];
      fields += 1;
      state = 'start';
      i += delimiter.length - 1;
      continue;
    }
    if (state === 'after-quote') {
      if (byte !== quote || !escapeIsQuote) return undefined;
      state = 'quoted';
      if (line === 1) firstField.push(byte);
      continue;
    }
    if (byte === quote) {
      if (state !== 'start') return undefined;
      state = 'quoted';
      continue;
    }
    if (byte === escape && !escapeIsQuote) return undefined;
    state = 'unquoted';
    if (line === 1) firstField.push(byte);
  }
  if (state === 'quoted') return undefined;
  const lines = bytes.length === 0 || bytes[bytes.length - 1] === LF ? line - 1 : line;
  if (!endRecord(bytes.length)) return undefined;
  return { first: records[0]?.line === 1 ? first : undefined, records, lines };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
