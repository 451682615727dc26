/**
 * Decompression bombs: a 14 MB `.csv.gz` can hold tens of GB, and DuckDB, which decompresses the file
 * itself while loading it, spills what does not fit in memory to disk. So before a compressed source
 * file reaches DuckDB, ferry decompresses it once in a stream that writes nothing, counting the bytes
 * that come out, and stops as soon as they pass `limits.max_decompressed_bytes`, or, once
 * RATIO_FLOOR_BYTES have come out, as soon as they outgrow the bytes read by `max_compression_ratio`.
 * Memory stays at one chunk; the cost is one extra decompression pass, paid only by compressed files.
 */

import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { FerryError, type FerryErrorContext } from '../errors/ferry-error.js';
import type { Compression } from './detect-compression.js';
import { zstdFactory } from './open-decompressed.js';

/**
 * Below this much output the ratio is not judged: small files of repeated values can compress
 * well past any sane ratio and are harmless, and early readings are coarse (input comes in 64 KiB).
 */
export const RATIO_FLOOR_BYTES = 16 * 2 ** 20;

/** Larger than zlib's 16 KiB default: fewer turns of the counting loop. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

export interface DecompressionLimits {
  maxDecompressedBytes: number;
  maxCompressionRatio: number;
}

export interface EnforceDecompressionLimitsOptions extends DecompressionLimits {
  /** The file's compression, from its bytes. */
  compression: Compression;
  /** The object as the user knows it (`s3://bucket/key`), for messages. */
  displayName: string;
  /** Pipeline, step, bucket and key, for the error. */
  context: FerryErrorContext;
}

export interface DecompressionMeasurement {
  /**
   * `complete`: the whole file was decompressed within the limits. `not-compressed`: nothing to do.
   * `unavailable`: this Node cannot decompress it (zstd before Node 22.15).
   */
  outcome: 'complete' | 'not-compressed' | 'unavailable';
  compressedBytes: number;
  decompressedBytes: number;
}

function createDecompressor(compression: 'gzip' | 'zstd'): Transform | undefined {
  if (compression === 'gzip') return zlib.createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES });
  return zstdFactory()?.();
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

function tooLarge(options: EnforceDecompressionLimitsOptions, decompressed: number): FerryError {
  return new FerryError(
    'SOURCE_DECOMPRESSED_TOO_LARGE',
    `${options.displayName} decompresses to more than limits.max_decompressed_bytes (${formatBytes(options.maxDecompressedBytes)}); stopped after ${formatBytes(decompressed)}.`,
    {
      context: {
        ...options.context,
        limit: 'max_decompressed_bytes',
        maxBytes: options.maxDecompressedBytes,
      },
      hint: 'If the file is genuine, raise limits.max_decompressed_bytes in ferry.yaml (and limits.temp_disk_bytes, which DuckDB needs for a large file); otherwise ask the vendor what they sent.',
    },
  );
}

function ratioTooHigh(
  options: EnforceDecompressionLimitsOptions,
  compressed: number,
  decompressed: number,
): FerryError {
  const ratio = Math.floor(decompressed / compressed);
  return new FerryError(
    'SOURCE_COMPRESSION_RATIO_TOO_HIGH',
    `${options.displayName} decompresses at least ${ratio} times its compressed size (${formatBytes(decompressed)} from ${formatBytes(compressed)} so far), over limits.max_compression_ratio (${options.maxCompressionRatio}): it looks like a decompression bomb.`,
    {
      context: {
        ...options.context,
        limit: 'max_compression_ratio',
        ratio,
        maxRatio: options.maxCompressionRatio,
      },
      hint: 'Real data files compress 3 to 30 times. If this one is genuine, raise limits.max_compression_ratio in ferry.yaml.',
    },
  );
}

function unreadable(options: EnforceDecompressionLimitsOptions, decompressed: number, cause: unknown) {
  return new FerryError(
    'SOURCE_DECOMPRESSION_FAILED',
    `${options.displayName} is not a valid ${options.compression} stream: decompressing it failed after ${formatBytes(decompressed)} (corrupt, truncated, or followed by other bytes).`,
    {
      context: { ...options.context, compression: options.compression, decompressedBytes: decompressed },
      cause,
      hint: 'Ask the vendor to send the file again; check that nothing between them and the bucket alters it.',
    },
  );
}

/**
 * Decompresses the file (its path, or its bytes when it is in memory only) without keeping the output, and throws `SOURCE_DECOMPRESSED_TOO_LARGE` or
 * `SOURCE_COMPRESSION_RATIO_TOO_HIGH` as soon as the output passes a limit. A stream Node cannot read
 * throws `SOURCE_DECOMPRESSION_FAILED`: it must not be left to DuckDB, which ignores gzip CRCs, so a
 * small member with a bad CRC in front of a bomb would otherwise end the count and let the bomb through.
 */
export async function enforceDecompressionLimits(
  file: string | Buffer,
  options: EnforceDecompressionLimitsOptions,
): Promise<DecompressionMeasurement> {
  const measurement: DecompressionMeasurement = {
    outcome: 'complete',
    compressedBytes: 0,
    decompressedBytes: 0,
  };
  if (options.compression === 'none') return { ...measurement, outcome: 'not-compressed' };
  const decompressor = createDecompressor(options.compression);
  if (decompressor === undefined) return { ...measurement, outcome: 'unavailable' };

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      measurement.compressedBytes += chunk.length;
      callback(null, chunk);
    },
  });
  // Errors surface through the iterator of the last stream; leaving the loop early destroys them all.
  const input = typeof file === 'string' ? createReadStream(file) : Readable.from([file]);
  const output = pipeline(input, meter, decompressor, () => undefined);
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      measurement.decompressedBytes += chunk.length;
      const { compressedBytes, decompressedBytes } = measurement;
      if (decompressedBytes > options.maxDecompressedBytes) throw tooLarge(options, decompressedBytes);
      if (
        decompressedBytes >= RATIO_FLOOR_BYTES &&
        decompressedBytes > compressedBytes * options.maxCompressionRatio
      ) {
        throw ratioTooHigh(options, compressedBytes, decompressedBytes);
      }
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw unreadable(options, measurement.decompressedBytes, error);
  } finally {
    output.destroy();
  }
  return measurement;
}
