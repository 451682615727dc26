/**
 * The newest file of a family, brought into discover's temp dir for reading. Small files come
 * whole (downloadObject: verified length). A large CSV or NDJSON file is read from its start only
 * (the first MiB, cut at the last full line; a gzip one decompressed as far as those bytes go):
 * enough to sniff its dialect and fields without pulling gigabytes. A large Parquet, JSON array or
 * zstd file must come whole, up to a cap; past it, discover proposes from the name alone.
 */
import { writeFile } from 'node:fs/promises';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CompressionGuess, FormatGuess, ListedFile } from '../../discover/discovery-model.js';
import { FerryError } from '../../errors/ferry-error.js';
import { downloadObject } from '../../io/s3/download-object.js';
import { readObjectRange } from '../../io/s3/read-object-range.js';

export interface SampleLimits {
  /** Files up to this size are downloaded whole. */
  wholeFileBytes: number;
  /** How much of a larger text file is read. */
  headBytes: number;
  /** The largest file that is downloaded whole when it cannot be sampled from its start. */
  maxWholeFileBytes: number;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = {
  wholeFileBytes: 8 * 1024 * 1024,
  headBytes: 1024 * 1024,
  maxWholeFileBytes: 256 * 1024 * 1024,
};

export interface FetchedSample {
  path: string;
  bytesRead: number;
  partial: boolean;
}

export interface FetchSampleOptions {
  client: S3Client;
  connection: string;
  bucket: string;
  file: ListedFile;
  format: FormatGuess;
  compression: CompressionGuess;
  /** A path in the temp dir, chosen by the caller (never from the key). */
  destPath: string;
  bodyIdleTimeoutMs: number;
  limits?: SampleLimits;
  signal?: AbortSignal;
}

/** Text a sampled head may inflate to (a gzip bomb's first MiB stops here). */
const MAX_INFLATED_BYTES = 8 * 1024 * 1024;

/** Inflates the start of a gzip stream as far as its bytes go, up to MAX_INFLATED_BYTES. */
function inflateHead(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const gunzip = createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const done = () => resolve(Buffer.concat(chunks).subarray(0, MAX_INFLATED_BYTES));
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_INFLATED_BYTES) gunzip.destroy();
    });
    // A cut or damaged stream ends the sample; what inflated so far is what there is to read.
    gunzip.on('error', done);
    gunzip.on('close', done);
    gunzip.end(bytes);
  });
}

/** Up to the last line break, so a sampled file ends with a whole record. */
function wholeLines(bytes: Buffer): Buffer {
  const end = bytes.lastIndexOf(0x0a);
  return end === -1 ? bytes : bytes.subarray(0, end + 1);
}

function firstByte(bytes: Buffer): string {
  for (const byte of bytes) {
    if (
      byte !== 0x20 &&
      byte !== 0x0a &&
      byte !== 0x0d &&
      byte !== 0x09 &&
      byte !== 0xef &&
      byte !== 0xbb &&
      byte !== 0xbf
    ) {
      return String.fromCharCode(byte);
    }
  }
  return '';
}

async function readHead(options: FetchSampleOptions): Promise<FetchedSample | undefined> {
  const range = await readObjectRange(options.client, {
    connection: options.connection,
    bucket: options.bucket,
    key: options.file.key,
    start: 0,
    end: (options.limits ?? DEFAULT_SAMPLE_LIMITS).headBytes - 1,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let text = range.bytes;
  if (options.compression === 'gzip') {
    // A cut gzip stream: take what inflates before the cut.
    text = await inflateHead(range.bytes);
  }
  // A JSON array read from its start cannot be parsed; it must come whole.
  if (firstByte(text) === '[') return undefined;
  await writeFile(options.destPath, wholeLines(text));
  return { path: options.destPath, bytesRead: range.bytes.length, partial: true };
}

/** Brings the file (or its start) to `destPath`. */
export async function fetchSample(options: FetchSampleOptions): Promise<FetchedSample> {
  const { file } = options;
  const limits = options.limits ?? DEFAULT_SAMPLE_LIMITS;
  const sampleable = options.format !== 'parquet' && options.compression !== 'zstd';
  if (file.size > limits.wholeFileBytes && sampleable) {
    const head = await readHead(options);
    if (head) return head;
  }
  if (file.size > limits.maxWholeFileBytes && file.size > limits.wholeFileBytes) {
    throw new FerryError(
      'DISCOVER_SAMPLE_TOO_LARGE',
      `s3://${options.bucket}/${file.key} is ${file.size} bytes: too large to read whole, and a ${options.format} ${options.compression === 'none' ? '' : `${options.compression} `}file cannot be read from its start alone.`,
      {
        context: { bucket: options.bucket, key: file.key },
        hint: 'Check its format by hand, or point discover at a smaller file of the family.',
      },
    );
  }
  const downloaded = await downloadObject(options.client, {
    connection: options.connection,
    bucket: options.bucket,
    key: file.key,
    destPath: options.destPath,
    expectedSize: file.size,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { path: downloaded.path, bytesRead: downloaded.size, partial: false };
}
