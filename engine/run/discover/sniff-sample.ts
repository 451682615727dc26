/**
 * What a sample file is: format, CSV dialect (delimiter, quote, header, encoding, byte-order mark),
 * JSON layout, and its fields with the types DuckDB infers and a few values. Auto-detection is for
 * discover only: runs pin the dialect the pipeline states (RELIABILITY.md, CSV). The encoding is
 * judged here, not by DuckDB (its sniffer assumes UTF-8): a byte-order mark, else whether the first
 * 64 KiB are valid UTF-8 (else Latin-1). Everything runs in the sandboxed session of discover's
 * temp dir; the SQL quotes every path and value.
 */
import { open, writeFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import type {
  CompressionGuess,
  CsvDialectSample,
  FamilySample,
  FieldSample,
  FormatGuess,
} from '../../discover/discovery-model.js';
import type { DuckDbRow, DuckDbSession } from '../../duckdb/create-duckdb-session.js';
import { detectCompression, duckDbCompression } from '../../duckdb/detect-compression.js';
import { canDecompressInNode, openDecompressed } from '../../duckdb/open-decompressed.js';
import { quoteLiteral } from '../../duckdb/sql.js';
import { utf8BomLength } from '../../duckdb/utf8-bom.js';

const HEAD_BYTES = 64 * 1024;
const SAMPLE_ROWS = 3;
const VALUE_CHARS = 40;

export interface SampleFile {
  path: string;
  key: string;
  size: number;
  bytesRead: number;
  partial: boolean;
}

async function readPlainHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function readGzipHead(path: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const input = createReadStream(path);
    const gunzip = createGunzip();
    const done = () => {
      input.destroy();
      resolve(Buffer.concat(chunks).subarray(0, HEAD_BYTES));
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES) gunzip.destroy();
    });
    gunzip.on('error', done);
    gunzip.on('close', done);
    input.on('error', done);
    input.pipe(gunzip);
  });
}

/** The first decompressed bytes (none for zstd: Node 20 cannot inflate it; DuckDB reads it). */
async function readTextHead(path: string, compression: CompressionGuess): Promise<Buffer | undefined> {
  if (compression === 'zstd') return undefined;
  return compression === 'gzip' ? readGzipHead(path) : readPlainHead(path);
}

function formatFromBytes(head: Buffer | undefined, guess: FormatGuess): FormatGuess {
  if (guess !== 'unknown' || head === undefined) return guess === 'unknown' ? 'csv' : guess;
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const first = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'csv';
}

function detectEncoding(head: Buffer | undefined): { encoding: CsvDialectSample['encoding']; bom: boolean } {
  if (head === undefined) return { encoding: 'utf-8', bom: false };
  if (utf8BomLength(head) > 0) return { encoding: 'utf-8', bom: true };
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    return { encoding: 'utf-16', bom: true };
  }
  try {
    // stream: a multi-byte character cut at the end of the head is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return { encoding: 'utf-8', bom: false };
  } catch {
    return { encoding: 'latin-1', bom: false };
  }
}

function text(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const rendered =
    typeof value === 'string'
      ? value
      : typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return rendered.length > VALUE_CHARS ? `${rendered.slice(0, VALUE_CHARS - 1)}…` : rendered;
}

function fieldsOf(
  columns: ReadonlyArray<{ name: string; type: string }>,
  rows: readonly DuckDbRow[],
): FieldSample[] {
  return columns.map(({ name, type }) => ({ name, type, values: rows.map((row) => text(row[name])) }));
}

const asString = (value: unknown): string => (typeof value === 'string' ? value : '');

/** DuckDB writes "(empty)" for an option it did not find. */
function option(value: unknown): string {
  return typeof value === 'string' && value !== '(empty)' ? value : '';
}

async function sniffCsv(
  session: DuckDbSession,
  path: string,
  compression: CompressionGuess,
  head: Buffer | undefined,
) {
  const { encoding, bom } = detectEncoding(head);
  const file = quoteLiteral(path);
  const common = `encoding=${quoteLiteral(encoding)}, compression=${quoteLiteral(duckDbCompression(compression))}`;
  const [sniffed] = await session.all(`SELECT * FROM sniff_csv(${file}, ${common})`);
  const columns = (sniffed?.['Columns'] as Array<{ name: string; type: string }> | undefined) ?? [];
  const csv: CsvDialectSample = {
    delimiter: option(sniffed?.['Delimiter']) || ',',
    quote: option(sniffed?.['Quote']),
    escape: option(sniffed?.['Escape']),
    header: sniffed?.['HasHeader'] === true,
    encoding,
    bom,
    newline:
      option(sniffed?.['NewLineDelimiter']) === '\\r\\n'
        ? 'CRLF'
        : option(sniffed?.['NewLineDelimiter']) === '\\r'
          ? 'CR'
          : 'LF',
  };
  const dialect = [
    `delim=${quoteLiteral(csv.delimiter)}`,
    `quote=${quoteLiteral(csv.quote)}`,
    `escape=${quoteLiteral(csv.escape)}`,
    `header=${csv.header ? 'true' : 'false'}`,
  ].join(', ');
  const rows = await session.all(
    `SELECT * FROM read_csv(${file}, ${dialect}, ${common}, all_varchar=true, null_padding=true, strict_mode=false) LIMIT ${SAMPLE_ROWS}`,
  );
  return { csv, fields: fieldsOf(columns, rows) };
}

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
/** How much of a sample the sniffer's copy holds (enough to sniff: the head of a large file is 1 MiB). */
const SNIFF_COPY_BYTES = 8 * 1024 * 1024;

/** The start of the sample, decompressed, up to `limit` bytes. */
async function readDecompressed(path: string, compression: CompressionGuess, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = openDecompressed(path, compression);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * DuckDB's sniffer reads no CSV with a CR that is not part of a CRLF (a CR alone, CR CR LF), nor one
 * whose lines end both ways, all of which runs read (normalize-line-breaks.ts). For the sniffer only,
 * `dest` gets the sample's start, uncompressed, with every run of CRs before an LF dropped and every
 * other CR a space: its dialect and fields, not its bytes. False when the sample has no CR.
 */
async function writeSniffableCopy(
  path: string,
  compression: CompressionGuess,
  dest: string,
): Promise<boolean> {
  if (!canDecompressInNode(compression)) return false;
  const bytes = await readDecompressed(path, compression, SNIFF_COPY_BYTES);
  if (!bytes.includes(CR)) return false;
  const out = Buffer.alloc(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] !== CR) {
      out[o++] = bytes[i] ?? 0;
      continue;
    }
    let end = i;
    while (end < bytes.length && bytes[end] === CR) end += 1;
    if (bytes[end] !== LF) {
      out.fill(SPACE, o, o + (end - i));
      o += end - i;
    }
    i = end - 1;
  }
  const text = out.subarray(0, o);
  const lastLine = text.lastIndexOf(LF);
  await writeFile(dest, lastLine === -1 ? text : text.subarray(0, lastLine + 1));
  return true;
}

async function describe(session: DuckDbSession, from: string): Promise<FieldSample[]> {
  const columns = await session.all(`DESCRIBE SELECT * FROM ${from}`);
  const rows = await session.all(`SELECT * FROM ${from} LIMIT ${SAMPLE_ROWS}`);
  return fieldsOf(
    columns.map((c) => ({ name: asString(c['column_name']), type: asString(c['column_type']) })),
    rows,
  );
}

/** Reads a sample file; DuckDB failures come back as FerryErrors (the caller keeps the name-based guess). */
export async function sniffSample(
  session: DuckDbSession,
  file: SampleFile,
  guess: { format: FormatGuess },
): Promise<FamilySample> {
  const compression = file.partial
    ? 'none'
    : (await detectCompression(file.path, { declared: 'auto', key: file.key })).compression;
  const head = await readTextHead(file.path, compression);
  const format = formatFromBytes(head, guess.format);
  const base = {
    key: file.key,
    size: file.size,
    bytesRead: file.bytesRead,
    partial: file.partial,
    format,
    compression,
  };
  const path = quoteLiteral(file.path);
  if (format === 'parquet') return { ...base, fields: await describe(session, `read_parquet(${path})`) };
  if (format === 'json') {
    const first = head
      ?.toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()[0];
    const layout = first === '[' ? 'array' : 'ndjson';
    const from = `read_json(${path}, format=${quoteLiteral(layout === 'array' ? 'array' : 'newline_delimited')}, compression=${quoteLiteral(duckDbCompression(compression))})`;
    return { ...base, json: { layout }, fields: await describe(session, from) };
  }
  const { csv, fields } = await sniffCsv(session, file.path, compression, head).catch(
    async (error: unknown) => {
      const copy = `${file.path}.sniff`;
      if (!(await writeSniffableCopy(file.path, compression, copy).catch(() => false))) throw error;
      return sniffCsv(session, copy, 'none', head);
    },
  );
  return { ...base, csv, fields };
}
