import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLongLine } from '../../../engine/duckdb/find-long-line.js';

/** Node's file streams read 64 KiB chunks: lines are placed across and inside them. */
const CHUNK = 64 * 1024;

describe('findLongLine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-long-line-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function find(bytes: Buffer | string, maxLineBytes: number, gzip = false) {
    const path = join(dir, `f-${Math.random().toString(36).slice(2)}`);
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    await writeFile(path, gzip ? gzipSync(buffer) : buffer);
    return findLongLine(path, { compression: gzip ? 'gzip' : 'none', maxLineBytes });
  }

  /** `count` lines of `width` bytes each (LF), then `tail`. */
  const lines = (count: number, width: number, tail = ''): string =>
    `${`${'a'.repeat(width)}\n`.repeat(count)}${tail}`;

  it('finds none in a file of short lines over many chunks', async () => {
    expect(await find(lines(20_000, 99), 100)).toBeUndefined();
    expect(await find(lines(20_000, 100), 100)).toBeUndefined();
  });

  it('names the first long line inside a chunk, when the limit is below the chunk size', async () => {
    const text = `${lines(10, 5)}${'b'.repeat(101)}\n${lines(3, 5)}${'c'.repeat(500)}\n`;
    expect(await find(text, 100)).toEqual({ line: 11, bytes: 101 });
  });

  it('names a long line that crosses chunk boundaries, with its line number', async () => {
    const text = `${lines(20_000, 9)}${'d'.repeat(3 * CHUNK)}\n${lines(10, 9)}`;
    expect(await find(text, 2 * CHUNK)).toEqual({ line: 20_001, bytes: 3 * CHUNK });
  });

  it('names a long last line without a line break', async () => {
    expect(await find(`${lines(5, 3)}${'e'.repeat(CHUNK + 1)}`, CHUNK)).toEqual({
      line: 6,
      bytes: CHUNK + 1,
    });
  });

  it('does not count the CR of a CRLF, even when the CR ends one chunk and the LF starts the next', async () => {
    // Line 1 is CHUNK - 1 bytes and its CR is the last byte of the first chunk.
    const exact = Buffer.from(`${'f'.repeat(CHUNK - 1)}\r\n${'g'.repeat(10)}\r\n`);
    expect(await find(exact, CHUNK - 1)).toBeUndefined();
    expect(await find(exact, CHUNK - 2)).toEqual({ line: 1, bytes: CHUNK - 1 });
  });

  it('reads gzip files decompressed', async () => {
    expect(await find(lines(1000, 50, `${'h'.repeat(300)}\n`), 200, true)).toEqual({
      line: 1001,
      bytes: 300,
    });
    expect(await find(lines(1000, 50), 200, true)).toBeUndefined();
  });
});
