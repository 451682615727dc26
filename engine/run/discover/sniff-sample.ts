/**
 * What a sample file is: format, CSV dialect (delimiter, quote, header, encoding, byte-order mark),
 * JSON layout, and its fields with the types DuckDB infers and a few values. Auto-detection is for
 * discover only: runs pin the dialect the pipeline states (RELIABILITY.md, CSV). The encoding is
 * judged here, not by DuckDB (its sniffer assumes UTF-8): a byte-order mark, else whether the first
 * 64 KiB are valid UTF-8 (else Latin-1). Everything runs in the sandboxed session of discover's
 * temp dir; the SQL quotes every path and value.
 */
import { open } from 'node:fs/promises';
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
import { quoteLiteral } from '../../duckdb/sql.js';

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
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: true };
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
  const { csv, fields } = await sniffCsv(session, file.path, compression, head);
  return { ...base, csv, fields };
}
