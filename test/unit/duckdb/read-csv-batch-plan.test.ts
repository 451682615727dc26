/**
 * readCsvBatchPlan takes the compression, size and bytes the fetch step already had for a file instead
 * of finding or reading them again: the fetch step decided them on the file it checked (after
 * decryption).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCsvDialect } from '../../../engine/duckdb/normalize-csv-dialect.js';
import { CSV_BATCH_MAX_FILE_BYTES, readCsvBatchPlan } from '../../../engine/duckdb/read-csv-batch-plan.js';
import { COMMA_CSV } from '../../harness/csv-dialects.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-batch-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dialect = normalizeCsvDialect(COMMA_CSV, '');
const options = { dialect, declaredCompression: 'none' as const, maxLineBytes: 1024 * 1024 };

async function files(bodies: readonly Buffer[]) {
  return Promise.all(
    bodies.map(async (body, index) => {
      const path = join(dir, `in-${index}-${Math.random().toString(36).slice(2)}`);
      await writeFile(path, body);
      return { index, path, key: `in/f${index}.csv`, size: body.length };
    }),
  );
}

describe('readCsvBatchPlan', () => {
  it('uses the compression the fetch step decided', async () => {
    const gz = await files([gzipSync('id,name\n1,a\n'), gzipSync('id,name\n2,b\n')]);
    // Deciding again against `compression: none` would refuse the gzip bytes (not batched).
    expect(await readCsvBatchPlan(gz, options)).toEqual([]);
    const given = gz.map((file) => ({ ...file, compression: 'gzip' as const }));
    const groups = await readCsvBatchPlan(given, options);
    expect(groups.map((g) => [g.compression, g.files.map((f) => [f.index, f.rowsLoaded])])).toEqual([
      [
        'gzip',
        [
          [0, 1],
          [1, 1],
        ],
      ],
    ]);
  });

  it('leaves a file to the one-file load when its known size is over the limit', async () => {
    const plain = await files([
      Buffer.from('id,name\n1,a\n'),
      Buffer.from('id,name\n2,b\n'),
      Buffer.from('id,name\n3,c\n'),
    ]);
    expect((await readCsvBatchPlan(plain, options))[0]?.files).toHaveLength(3);
    const sized = plain.map((file, i) => (i === 0 ? { ...file, size: CSV_BATCH_MAX_FILE_BYTES + 1 } : file));
    expect((await readCsvBatchPlan(sized, options))[0]?.files.map((f) => f.index)).toEqual([1, 2]);
  });

  it('scans the bytes the fetch step kept instead of reading the file', async () => {
    const bodies = [Buffer.from('id,name\n1,a\n2,b\n'), Buffer.from('id,name\n3,c\n')];
    // No file at these paths: only the kept bytes can have been scanned.
    const kept = bodies.map((bytes, index) => ({
      index,
      path: join(dir, `gone-${index}`),
      key: `in/k${index}.csv`,
      bytes,
    }));
    const groups = await readCsvBatchPlan(kept, options);
    expect(groups.map((g) => g.files.map((f) => [f.index, f.rowsLoaded]))).toEqual([
      [
        [0, 2],
        [1, 1],
      ],
    ]);
  });
});
