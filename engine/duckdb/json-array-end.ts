/**
 * DuckDB's array reader takes a JSON array file that ends after an element and its comma, without the
 * closing `]`, as complete (`[{"id": 1},` loads one row, no error): a file cut off there by the
 * program writing it would be loaded in part. So before an array file is read, ferry looks at how it
 * ends: its last byte other than whitespace must be the `]` that closes the array. (A file cut anywhere
 * else does not read: DuckDB fails it.) An uncompressed file is read from its end; a compressed one is
 * decompressed once, in a stream.
 */
import { open } from 'node:fs/promises';
import type { Compression } from './detect-compression.js';
import { CLOSE_BRACKET, isJsonWhitespace } from './json-array-to-lines.js';
import { canDecompressInNode, openDecompressed } from './open-decompressed.js';
import { utf8BomLength } from './utf8-bom.js';

const TAIL_BYTES = 64 * 1024;

/** The last byte of `bytes` (of its first `length`) that is not whitespace, or -1. */
function lastNonWhitespace(bytes: Buffer, length = bytes.length): number {
  for (let i = length - 1; i >= 0; i -= 1) {
    const byte = bytes[i] ?? 0;
    if (!isJsonWhitespace(byte)) return byte;
  }
  return -1;
}

/**
 * How the file ends: `closed` (with `]`), `open` (with anything else), `empty` (nothing but
 * whitespace: the empty-file rule applies), or undefined when Node cannot decompress it (zstd on
 * Node 20).
 */
export async function jsonArrayEnd(
  path: string,
  compression: Compression,
): Promise<'closed' | 'open' | 'empty' | undefined> {
  let last = -1;
  if (compression === 'none') {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(TAIL_BYTES);
      for (let end = (await handle.stat()).size; end > 0 && last === -1; end -= TAIL_BYTES) {
        const start = Math.max(0, end - TAIL_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, end - start, start);
        last = lastNonWhitespace(buffer, bytesRead);
      }
    } finally {
      await handle.close();
    }
  } else {
    if (!canDecompressInNode(compression)) return undefined;
    for await (const chunk of openDecompressed(path, compression) as AsyncIterable<Buffer>) {
      const found = lastNonWhitespace(chunk);
      if (found !== -1) last = found;
    }
  }
  if (last === -1) return 'empty';
  return last === CLOSE_BRACKET ? 'closed' : 'open';
}

/** The first byte of the file other than whitespace (and a UTF-8 BOM), or -1 when there is none. */
export async function firstJsonByte(path: string, compression: Compression): Promise<number> {
  let start = true;
  for await (const chunk of openDecompressed(path, compression) as AsyncIterable<Buffer>) {
    let i = start ? utf8BomLength(chunk) : 0;
    start = false;
    for (; i < chunk.length; i += 1) {
      const byte = chunk[i] ?? 0;
      if (!isJsonWhitespace(byte)) return byte;
    }
  }
  return -1;
}
