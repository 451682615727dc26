/**
 * A downloaded file's bytes, decompressed in a Node stream, for the checks ferry makes before DuckDB
 * reads a file (NDJSON lines, CSV line lengths). Node 20 has no zstd: callers ask first.
 */
import { createReadStream } from 'node:fs';
import { pipeline, Readable, type Transform } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Compression } from './detect-compression.js';

export type ZstdFactory = () => Transform;

/**
 * Reads of 1 MiB: a pass over a 115 MB CSV took 120–280 ms in fs's default 64 KiB chunks and 35–50 ms
 * in these (most of the time was the per-chunk overhead of the stream, not the scan).
 */
const READ_CHUNK_BYTES = 1024 * 1024;

export function zstdFactory(): ZstdFactory | undefined {
  // Node >= 22.15 has zstd; ferry also runs on Node 20, whose typings do not know the function.
  const candidate = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  return typeof candidate === 'function' ? candidate : undefined;
}

/** Whether this Node can decompress `compression` itself (zstd needs Node >= 22.15). */
export function canDecompressInNode(compression: Compression): boolean {
  return compression !== 'zstd' || zstdFactory() !== undefined;
}

/**
 * The file's bytes, decompressed; errors surface through the returned stream. `source` is the file's
 * path, or its bytes as they are on disk when the caller still holds them (no second read).
 */
export function openDecompressed(source: string | Buffer, compression: Compression): Readable {
  const file =
    typeof source === 'string'
      ? createReadStream(source, { highWaterMark: READ_CHUNK_BYTES })
      : Readable.from([source]);
  const ignore = (): void => undefined; // errors surface through the iterator of the last stream
  switch (compression) {
    case 'none':
      return file;
    case 'gzip':
      return pipeline(file, zlib.createGunzip(), ignore);
    case 'zstd': {
      const factory = zstdFactory();
      if (factory === undefined) throw new Error('zstd is not available in this Node.js');
      return pipeline(file, factory(), ignore);
    }
  }
}

const gunzipAsync = promisify(zlib.gunzip);

/**
 * Small bytes (a whole small file) decompressed into one buffer; undefined when the output would pass
 * `maxBytes`, or when this Node cannot decompress them (zstd before 22.15). A corrupt stream throws.
 */
export async function decompressSmall(
  bytes: Buffer,
  compression: Compression,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (compression === 'none') return bytes.length > maxBytes ? undefined : bytes;
  if (compression === 'gzip') {
    // One call instead of a stream: a thousand small files are a thousand decompressions.
    return await gunzipAsync(bytes, { maxOutputLength: maxBytes }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      throw error;
    });
  }
  if (!canDecompressInNode(compression)) return undefined;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of openDecompressed(bytes, compression) as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
