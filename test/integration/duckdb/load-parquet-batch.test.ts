/**
 * The load step's Parquet batch path (one read_parquet over a run's small files with one schema)
 * against its reference, the same step loading each file on its own: the same `source` rows, types,
 * columns, loaded files, warnings, counts and error. Real DuckDB; the files are made by DuckDB.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { removeLoadDirs, runLoadStep, type SourceFile } from './load-step-batch-harness.js';

let dir: string;
let maker: DuckDbSession;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-parquet-files-'));
  maker = await createDuckDbSession({ tempDir: dir });
});
afterAll(async () => {
  maker?.close();
  await rm(dir, { recursive: true, force: true });
  await removeLoadDirs();
});

let made = 0;
/** A Parquet file of `select`'s rows, as the object `key`. */
async function parquet(key: string, select: string): Promise<SourceFile> {
  const path = join(dir, `f${made++}.parquet`);
  await maker.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet)`);
  return { key, body: await readFile(path) };
}

/** `keepBytes`: the files' bytes come with them, as the fetch step keeps small files'. */
function load(files: readonly SourceFile[], together: boolean, keepBytes = false) {
  return runLoadStep(
    files,
    { kind: 'parquet' },
    { together, keepBytes, batchTablePrefix: 'ferry_parquet_batch_' },
  );
}

/** Both paths; the outcomes must be equal, the batch's whether or not the fetch step kept the bytes. */
async function compare(files: readonly SourceFile[]) {
  const reference = await load(files, false);
  const batch = await load(files, true);
  const fromBytes = await load(files, true, true);
  expect(batch.outcome).toEqual(reference.outcome);
  expect(fromBytes.outcome).toEqual(batch.outcome);
  expect(fromBytes.batched).toBe(batch.batched);
  expect(reference.batched).toBe(false);
  return batch;
}

describe('load step: small Parquet files in one read', () => {
  it('files with one schema: one read, the same rows, types and row numbers; an empty file too', async () => {
    const files = [
      await parquet('a.parquet', `SELECT 1::BIGINT AS id, 'x' AS name, [1, 2]::BIGINT[] AS tags`),
      await parquet(
        'b.parquet',
        `SELECT range::BIGINT AS id, 'y' || range AS name, [range] AS tags FROM range(2, 5)`,
      ),
      await parquet(
        'empty.parquet',
        `SELECT 1::BIGINT AS id, 'x' AS name, [1, 2]::BIGINT[] AS tags WHERE false`,
      ),
      await parquet('c.parquet', `SELECT 9::BIGINT AS id, NULL::VARCHAR AS name, NULL::BIGINT[] AS tags`),
    ];
    const result = await compare(files);
    expect(result.batched).toBe(true);
    expect(result.perFileTables).toBe(0);
    expect(result.outcome.rows).toHaveLength(5);
    expect(result.outcome.rows[4]).toMatchObject({ id: 9n, _ferry_file: 'c.parquet', _ferry_row: 5n });
  });

  it('schemas that differ (a type, the column order, a column), or a file that does not read: one by one', async () => {
    const base = await parquet('a.parquet', `SELECT 1::BIGINT AS id, 'x' AS name`);
    for (const other of [
      await parquet('b.parquet', `SELECT 2::INTEGER AS id, 'y' AS name`),
      await parquet('b.parquet', `SELECT 'y' AS name, 2::BIGINT AS id`),
      await parquet('b.parquet', `SELECT 2::BIGINT AS id`),
      { key: 'b.parquet', body: 'id,name\n2,y\n' },
      { key: 'b.parquet', body: Buffer.from('PK\x03\x04 a zip file') },
    ]) {
      expect((await compare([base, other])).batched).toBe(false);
    }
  });
});
