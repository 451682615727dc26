import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLongLine, surveyCsvLines } from '../../../engine/duckdb/find-long-line.js';

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

  describe('the census of line breaks (surveyCsvLines)', () => {
    async function survey(bytes: string, gzip = false) {
      const path = join(dir, `m-${Math.random().toString(36).slice(2)}`);
      await writeFile(path, gzip ? gzipSync(bytes) : bytes);
      return surveyCsvLines(path, { compression: gzip ? 'gzip' : 'none', maxLineBytes: 1 << 20 });
    }
    const mixed = async (bytes: string, gzip = false) => (await survey(bytes, gzip))?.mixedLineBreaks;
    const strayCr = async (bytes: string, gzip = false) => (await survey(bytes, gzip))?.strayCarriageReturns;

    it('finds no mix in files whose line breaks are all LF or all CRLF', async () => {
      expect(await mixed('a,b\n1,2\n')).toBe(false);
      expect(await mixed('a,b\r\n1,2\r\n')).toBe(false);
      expect(await mixed('a,b')).toBe(false);
      // A CRLF whose CR ends a read chunk and whose LF starts the next (64 KiB and 1 MiB chunks).
      for (const chunk of [CHUNK, 1 << 20]) {
        expect(await mixed(`${'f'.repeat(chunk - 1)}\r\n${'g,h\r\n'.repeat(10)}`)).toBe(false);
      }
    });

    it('finds both kinds, wherever the other kind first comes, in plain and gzip files', async () => {
      expect(await mixed('a,b\n1,2\r\n')).toBe(true);
      expect(await mixed('a,b\r\n1,2\n')).toBe(true);
      expect(await mixed(`${lines(200_000, 9)}1,2\r\n`)).toBe(true);
      expect(await mixed(`a,b\r\n${'1,2\r\n'.repeat(300_000)}3,4\n`, true)).toBe(true);
      // Quoted line breaks count too: the copy (normalize-line-breaks.ts) tells those files apart.
      expect(await mixed('a,b\n1,"x\r\ny"\n')).toBe(true);
    });

    it('finds a CR that is not part of a CRLF, in files with LF line breaks, across chunks too', async () => {
      expect(await strayCr('a,b\n1,x\ry\n')).toBe(true);
      expect(await strayCr('a,b\r\n1,x\ry\r\n')).toBe(true);
      expect(await strayCr('a,b\r\r\n1,2\r\r\n')).toBe(true);
      expect(await strayCr(`a,b\n${'1,2\n'.repeat(300_000)}3,\r4\n`, true)).toBe(true);
      // A CR that ends the file, and a CR that ends a chunk with no LF to start the next.
      expect(await strayCr('a,b\n1,2\r')).toBe(true);
      for (const chunk of [CHUNK, 1 << 20]) {
        expect(await strayCr(`${'f'.repeat(chunk - 1)}\rx\n1,2\n`)).toBe(true);
      }
    });

    it('finds none in files of LF or CRLF lines, nor in a file whose lines all end with CR', async () => {
      expect(await strayCr('a,b\n1,2\n')).toBe(false);
      expect(await strayCr('a,b\r\n1,2\r\n')).toBe(false);
      expect(await strayCr('a,b\r1,2\r')).toBe(false);
      for (const chunk of [CHUNK, 1 << 20]) {
        expect(await strayCr(`${'f'.repeat(chunk - 1)}\r\n${'g,h\r\n'.repeat(10)}`)).toBe(false);
      }
    });
  });
});
