/**
 * Silent dataset loss, from the safety review: deleting a dataset's manifest.json made plan say
 * "version 1 (2 rows)" and apply overwrite v000001.parquet — 15 rows gone for good while pipeline
 * state said their files were processed. Now versions are never overwritten, a missing manifest is a
 * coded error with the way out, and a swapped version file is refused on read.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const DATASETS = {
  accounts: { kind: 'entity', key: ['account_id'], columns: { account_id: 'VARCHAR', plan: 'VARCHAR' } },
};

async function twoVersions() {
  const p = await fx.createProject({ datasets: DATASETS });
  await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
  await p.put('in/accounts/1.csv', 'account_id,plan\na1,free\na2,pro\n');
  await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
  await p.put('in/accounts/2.csv', 'account_id,plan\na3,pro\n');
  await p.run('apply', 'accounts', at('2024-05-02T00:00:00Z'));
  const dir = join(p.stateDir, 'datasets', 'accounts');
  return { p, dir };
}

describe('a dataset whose state was damaged outside ferry', () => {
  it('without its manifest: plan and apply refuse with the way out, nothing is overwritten; repair restores it', async () => {
    const { p, dir } = await twoVersions();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.parquet'))
      .sort();
    rmSync(join(dir, 'manifest.json'));
    await p.put('in/accounts/3.csv', 'account_id,plan\na4,free\n');

    const plan = await p.run('plan', 'accounts', at('2024-05-03T00:00:00Z'));
    expect(plan.error).toMatchObject({
      code: 'DATASET_MANIFEST_MISSING',
      hint: expect.stringContaining('ferry state repair accounts'),
    });
    const applied = await p.run('apply', 'accounts', at('2024-05-03T00:00:00Z'));
    expect(applied.error?.code).toBe('DATASET_MANIFEST_MISSING');
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.parquet'))
        .sort(),
    ).toEqual(files);

    const repaired = await p.cli(['state', 'repair', 'accounts']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('version 2 is current');
    const next = await p.run('apply', 'accounts', at('2024-05-03T00:00:00Z'));
    expect(next.error).toBeUndefined();
    expect(next.dataset?.version).toBe(3);
    expect((await p.readDataset('accounts', { select: 'account_id' })).map((r) => r['account_id'])).toEqual([
      'a1',
      'a2',
      'a3',
      'a4',
    ]);
  });

  it('with every file gone: the pipeline state that made version 2 current notices', async () => {
    const { p, dir } = await twoVersions();
    rmSync(dir, { recursive: true });
    await p.put('in/accounts/3.csv', 'account_id,plan\na4,free\n');
    const plan = await p.run('plan', 'accounts', at('2024-05-03T00:00:00Z'));
    expect(plan.error).toMatchObject({
      code: 'DATASET_MANIFEST_MISSING',
      message: expect.stringContaining('version 2'),
    });
  });

  it('with a version file swapped for another: refused on read, not built upon', async () => {
    const { p, dir } = await twoVersions();
    const manifest = await p.manifest('accounts');
    const current = manifest.versions.find((v) => v.version === manifest.current);
    const older = manifest.versions.find((v) => v.version === 1);
    writeFileSync(join(dir, current?.file ?? ''), readFileSync(join(dir, older?.file ?? '')));
    await p.put('in/accounts/3.csv', 'account_id,plan\na4,free\n');
    const plan = await p.run('plan', 'accounts', at('2024-05-03T00:00:00Z'));
    expect(plan.error).toMatchObject({
      code: 'DATASET_VERSION_CORRUPT',
      hint: expect.stringContaining('rollback'),
    });
  });
});
