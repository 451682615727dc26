/**
 * The decompression check on real gzip files: bombs stop at the size or ratio limit after reading a
 * small part of the file; honest files (the demo's, a realistic export) pass with the defaults.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../engine/config/normalize-limits.js';
import {
  enforceDecompressionLimits,
  RATIO_FLOOR_BYTES,
} from '../../../engine/duckdb/enforce-decompression-limits.js';
import { zstdFactory } from '../../../engine/duckdb/open-decompressed.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { createGzipBomb } from '../../harness/gzip-bomb.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

const where = { pipeline: 'p', step: 'fetch', bucket: 'b', key: 'in/bomb.csv.gz' };
const options = (limits: Partial<typeof DEFAULT_LIMITS> = {}) => ({
  compression: 'gzip' as const,
  displayName: 's3://b/in/bomb.csv.gz',
  context: where,
  maxDecompressedBytes: limits.maxDecompressedBytes ?? DEFAULT_LIMITS.maxDecompressedBytes,
  maxCompressionRatio: limits.maxCompressionRatio ?? DEFAULT_LIMITS.maxCompressionRatio,
});

/** A realistic export: ids, emails, timestamps, a few empty fields (gzip ~4:1). */
function realisticCsv(rows: number): string {
  const lines = ['user_id,account_id,email,plan,created_at,sessions_30d,utm_source'];
  for (let i = 0; i < rows; i++) {
    const created = new Date(Date.UTC(2025, 0, 1) + i * 7919_000).toISOString();
    lines.push(
      `u_${100000 + i},acc_${(i * 7919) % 20011},user${i}@example${i % 97}.com,${['free', 'growth', 'enterprise'][i % 3]},${created},${(i * 31) % 60},${i % 5 === 0 ? 'google' : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}

describe('enforceDecompressionLimits', () => {
  it('stops a gzip bomb at max_decompressed_bytes, naming the object and the limit', async () => {
    const bomb = createGzipBomb('csv', 256 * 2 ** 20);
    const file = await t.write('in-0001', bomb.body);
    const error = await ferryErrorOf(() =>
      enforceDecompressionLimits(
        file,
        options({ maxDecompressedBytes: 8 * 2 ** 20, maxCompressionRatio: 1e6 }),
      ),
    );
    expect(error.code).toBe('SOURCE_DECOMPRESSED_TOO_LARGE');
    expect(error.context).toMatchObject({ ...where, limit: 'max_decompressed_bytes', maxBytes: 8 * 2 ** 20 });
    expect(error.message).toContain('s3://b/in/bomb.csv.gz');
    expect(error.message).toContain('limits.max_decompressed_bytes');
  });

  it('stops a gzip bomb at max_compression_ratio once past the floor', async () => {
    const bomb = createGzipBomb('ndjson', 256 * 2 ** 20);
    const file = await t.write('in-0001', bomb.body);
    const error = await ferryErrorOf(() => enforceDecompressionLimits(file, options()));
    expect(error.code).toBe('SOURCE_COMPRESSION_RATIO_TOO_HIGH');
    expect(error.context).toMatchObject({ ...where, limit: 'max_compression_ratio', maxRatio: 100 });
    expect(Number(error.context['ratio'])).toBeGreaterThan(100);
    expect(error.message).toContain('limits.max_compression_ratio');
  });

  it('judges no ratio below the floor: a small file of repeated values passes', async () => {
    const small = gzipSync(Buffer.from('a,b\n' + '1,1\n'.repeat(RATIO_FLOOR_BYTES / 8)));
    const file = await t.write('in-0001', small);
    const measured = await enforceDecompressionLimits(file, options());
    expect(measured.outcome).toBe('complete');
    expect(measured.decompressedBytes / measured.compressedBytes).toBeGreaterThan(100);
  });

  it('passes an honest export with the default limits and counts its bytes exactly', async () => {
    const csv = realisticCsv(240_000);
    expect(csv.length).toBeGreaterThan(RATIO_FLOOR_BYTES);
    const file = await t.write('in-0001', gzipSync(csv, { level: 1 }));
    const measured = await enforceDecompressionLimits(file, options());
    expect(measured).toMatchObject({ outcome: 'complete', decompressedBytes: Buffer.byteLength(csv) });
    expect(measured.decompressedBytes / measured.compressedBytes).toBeLessThan(10);
  });

  it('fails a truncated stream, naming the object', async () => {
    const body = gzipSync(realisticCsv(1000));
    const file = await t.write('in-0001', body.subarray(0, body.length - 100));
    const error = await ferryErrorOf(() => enforceDecompressionLimits(file, options()));
    expect(error.code).toBe('SOURCE_DECOMPRESSION_FAILED');
    expect(error.context).toMatchObject(where);
    expect(error.message).toContain('s3://b/in/bomb.csv.gz');
  });

  it('fails a bomb behind a member with a bad CRC (DuckDB ignores gzip CRCs and would read it all)', async () => {
    const head = gzipSync('id,name,email,plan\n');
    head[head.length - 6] = (head[head.length - 6] ?? 0) ^ 0xff; // the CRC-32 of the first member
    const bomb = createGzipBomb('csv', 64 * 2 ** 20).body;
    const file = await t.write('in-0001', Buffer.concat([head, bomb]));
    const error = await ferryErrorOf(() => enforceDecompressionLimits(file, options()));
    expect(error.code).toBe('SOURCE_DECOMPRESSION_FAILED');
  });

  // CI runs the suite on Node 20 and on Node 22 (the container's), so both branches run there.
  it('checks a zstd bomb where Node can decompress zstd (22.15+), and leaves it to DuckDB before', async () => {
    const file = `${t.dir}/bomb.csv.zst`;
    await t.session.run(
      `COPY (SELECT repeat('a', 1000) AS v FROM range(20000)) TO ${quoteLiteral(file)} (FORMAT csv, HEADER false, COMPRESSION zstd)`,
    );
    const zstd = {
      ...options({ maxDecompressedBytes: 8 * 2 ** 20, maxCompressionRatio: 1e6 }),
      compression: 'zstd' as const,
    };
    if (zstdFactory() === undefined) {
      expect(await enforceDecompressionLimits(file, zstd)).toMatchObject({ outcome: 'unavailable' });
      return;
    }
    const error = await ferryErrorOf(() => enforceDecompressionLimits(file, zstd));
    expect(error.code).toBe('SOURCE_DECOMPRESSED_TOO_LARGE');
    expect(error.context).toMatchObject({ ...where, limit: 'max_decompressed_bytes', maxBytes: 8 * 2 ** 20 });
    // With room for it, the whole file is counted: 20,000 lines of 1,001 bytes.
    expect(
      await enforceDecompressionLimits(file, { ...zstd, maxDecompressedBytes: 64 * 2 ** 20 }),
    ).toMatchObject({
      outcome: 'complete',
      decompressedBytes: 20000 * 1001,
    });
  });

  it('does nothing for an uncompressed file', async () => {
    const file = await t.write('in-0001', realisticCsv(10));
    const measured = await enforceDecompressionLimits(file, { ...options(), compression: 'none' });
    expect(measured.outcome).toBe('not-compressed');
  });
});
