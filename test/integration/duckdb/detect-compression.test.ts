import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCompression } from '../../../engine/duckdb/detect-compression.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

const CSV = 'id,name\n1,a\n2,b\n';

async function zstdFile(): Promise<string> {
  const file = `${t.dir}/data.zst`;
  await t.session.run(`COPY (SELECT 1 AS id) TO ${quoteLiteral(file)} (FORMAT csv, COMPRESSION zstd)`);
  return file;
}

describe('detectCompression', () => {
  it('finds gzip and zstd by magic bytes whatever the key says', async () => {
    const gz = await t.write('a.bin', gzipSync(CSV));
    expect(await detectCompression(gz, { declared: 'auto', key: 'in/a.csv.gz' })).toEqual({
      compression: 'gzip',
      source: 'magic-bytes',
    });
    expect(await detectCompression(gz, { declared: 'auto', key: 'in/a.csv' })).toEqual({
      compression: 'gzip',
      source: 'magic-bytes',
      extensionMismatch: 'none',
    });
    expect(await detectCompression(await zstdFile(), { declared: 'auto', key: 'in/a.csv.gz' })).toEqual({
      compression: 'zstd',
      source: 'magic-bytes',
      extensionMismatch: 'gzip',
    });
  });

  it('takes the head the download saw instead of reading the file', async () => {
    const head = gzipSync(CSV).subarray(0, 16);
    // No file at this path: only the given head can decide.
    expect(
      await detectCompression(`${t.dir}/missing.bin`, { declared: 'auto', key: 'in/a.csv', head }),
    ).toEqual({
      compression: 'gzip',
      source: 'magic-bytes',
      extensionMismatch: 'none',
    });
  });

  it('trusts the bytes over a .gz extension on a plain file', async () => {
    const plain = await t.write('b.csv', CSV);
    expect(await detectCompression(plain, { declared: 'auto', key: 'in/b.csv.gz' })).toEqual({
      compression: 'none',
      source: 'magic-bytes',
      extensionMismatch: 'gzip',
    });
  });

  it.each([
    ['x.csv.gz', 'gzip'],
    ['x.csv.GZ', 'gzip'],
    ['x.csv.zst', 'zstd'],
    ['x.zstd', 'zstd'],
    ['x.csv', 'none'],
  ])('falls back to the extension of %s when the file is too short to tell', async (key, expected) => {
    const tiny = await t.write('tiny', 'a');
    expect(await detectCompression(tiny, { declared: 'auto', key })).toEqual({
      compression: expected,
      source: 'extension',
    });
  });

  it('keeps a declared compression that the bytes agree with', async () => {
    const gz = await t.write('c.gz', gzipSync(CSV));
    expect(await detectCompression(gz, { declared: 'gzip', key: 'c' })).toEqual({
      compression: 'gzip',
      source: 'declared',
    });
  });

  it.each([
    ['none', () => gzipSync(CSV)],
    ['gzip', () => Buffer.from(CSV)],
    ['zstd', () => gzipSync(CSV)],
  ] as const)('refuses declared %s when the bytes disagree', async (declared, content) => {
    const file = await t.write('d', content());
    const error = await ferryErrorOf(() => detectCompression(file, { declared, key: 'in/d' }));
    expect(error.code).toBe('COMPRESSION_MISMATCH');
    expect(error.context).toMatchObject({ key: 'in/d', declared });
  });

  it.each([
    ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0])],
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 0, 0])],
    ['bzip2', Buffer.from([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59])],
  ])('refuses %s as unsupported', async (_name, bytes) => {
    const file = await t.write('e', bytes);
    const error = await ferryErrorOf(() => detectCompression(file, { declared: 'auto', key: 'in/e' }));
    expect(error.code).toBe('COMPRESSION_UNSUPPORTED');
  });

  it('does not mistake a text file starting with "BZh" for bzip2', async () => {
    const file = await t.write('f.csv', 'BZh9,name\n1,2\n');
    expect((await detectCompression(file, { declared: 'auto', key: 'f.csv' })).compression).toBe('none');
  });
});
