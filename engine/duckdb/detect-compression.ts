/**
 * Which decompression to ask DuckDB for. Object keys lie more often than bytes (`.csv` that is gzip,
 * `.gz` that was already inflated by a proxy), so the file's magic bytes decide; the key's extension is
 * only used when the file is too short to tell. A compression ferry cannot read (zip, bzip2, xz) is an
 * error here rather than a screen of encoding errors later.
 */

import { open } from 'node:fs/promises';
import { FerryError } from '../errors/ferry-error.js';

export type Compression = 'none' | 'gzip' | 'zstd';
export type DeclaredCompression = 'auto' | Compression;

export interface DetectCompressionOptions {
  /** What the configuration says; `auto` means detect. */
  declared: DeclaredCompression;
  /** The object key the file was downloaded from, for its extension and for messages. */
  key: string;
  /** The file's first bytes when the caller already has them (the download saw them): no re-read. */
  head?: Buffer;
}

export interface DetectedCompression {
  compression: Compression;
  /** What decided: the configuration, the file's first bytes, or (for files too short) the key. */
  source: 'declared' | 'magic-bytes' | 'extension';
  /** Set when the key's extension says something else than the bytes (the bytes won). */
  extensionMismatch?: Compression;
}

const MAGIC_BYTES_NEEDED = 10;

const UNSUPPORTED: ReadonlyArray<{ name: string; matches: (head: Buffer) => boolean }> = [
  { name: 'zip', matches: (h) => h.length >= 4 && h.readUInt32BE(0) === 0x504b0304 },
  {
    name: 'xz',
    matches: (h) =>
      h.length >= 6 && h.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])),
  },
  {
    // "BZh" + block size digit + the block magic (BCD pi), so a text file starting with "BZh" is not caught.
    name: 'bzip2',
    matches: (h) =>
      h.length >= 10 &&
      h.subarray(0, 3).toString('latin1') === 'BZh' &&
      h[3] !== undefined &&
      h[3] >= 0x31 &&
      h[3] <= 0x39 &&
      h.subarray(4, 10).equals(Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59])),
  },
];

/** DuckDB's word for a compression (`read_json` does not accept `none`). */
export function duckDbCompression(compression: Compression): string {
  return compression === 'none' ? 'uncompressed' : compression;
}

/**
 * Compression by file name: `.gz`/`.gzip` → gzip, `.zst`/`.zstd` → zstd, anything else → none. A PGP
 * extension comes off first: `accounts.csv.gz.pgp` is gzip once decrypted.
 */
export function compressionFromExtension(key: string): Compression {
  const lower = key.toLowerCase().replace(/(\.(pgp|gpg|asc))+$/, '');
  if (lower.endsWith('.gz') || lower.endsWith('.gzip')) return 'gzip';
  if (lower.endsWith('.zst') || lower.endsWith('.zstd')) return 'zstd';
  return 'none';
}

/** Compression by content; undefined when the file is too short to tell. */
function compressionFromBytes(head: Buffer, key: string): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return 'zstd';
  const unsupported = UNSUPPORTED.find((format) => format.matches(head));
  if (unsupported !== undefined) {
    throw new FerryError(
      'COMPRESSION_UNSUPPORTED',
      `${key} is ${unsupported.name}-compressed; ferry reads plain, gzip and zstd files.`,
      { context: { key }, hint: 'Ask the vendor for gzip or zstd, or for uncompressed files.' },
    );
  }
  return head.length >= 4 ? 'none' : undefined;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAGIC_BYTES_NEEDED);
    const { bytesRead } = await handle.read(buffer, 0, MAGIC_BYTES_NEEDED, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Decides the compression of the local file `path` downloaded from `key`. With `declared: 'auto'` the
 * magic bytes (gzip `1f 8b`, zstd `28 b5 2f fd`) win over the extension. A declared compression that
 * the bytes contradict throws `COMPRESSION_MISMATCH`; zip, bzip2 and xz throw `COMPRESSION_UNSUPPORTED`.
 */
export async function detectCompression(
  path: string,
  options: DetectCompressionOptions,
): Promise<DetectedCompression> {
  const { declared, key } = options;
  const head = options.head ?? (await readHead(path));
  const fromBytes = compressionFromBytes(head.subarray(0, MAGIC_BYTES_NEEDED), key);
  const fromExtension = compressionFromExtension(key);

  if (declared !== 'auto') {
    if (fromBytes !== undefined && fromBytes !== declared) {
      throw new FerryError(
        'COMPRESSION_MISMATCH',
        `${key} is configured as ${declared} but its content is ${fromBytes === 'none' ? 'not compressed' : fromBytes}.`,
        {
          context: { key, declared, detected: fromBytes },
          hint: 'Fix the source\'s compression setting, or set it to "auto" to follow the file content.',
        },
      );
    }
    return { compression: declared, source: 'declared' };
  }
  if (fromBytes === undefined) return { compression: fromExtension, source: 'extension' };
  return {
    compression: fromBytes,
    source: 'magic-bytes',
    ...(fromExtension === fromBytes ? {} : { extensionMismatch: fromExtension }),
  };
}
