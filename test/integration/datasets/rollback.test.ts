/**
 * `ferry state rollback`: the manifest points back at a kept version, a later export reads that
 * version, and the next import builds on it under a new version number. keep_versions prunes files.
 */
import { readdirSync } from 'node:fs';
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

const accounts = (keepVersions: number) => ({
  accounts: {
    kind: 'entity',
    key: ['account_id'],
    columns: { account_id: 'VARCHAR', plan: 'VARCHAR' },
    keep_versions: keepVersions,
  },
});

describe('state rollback', () => {
  it('restores the previous version; a later export reads the rolled-back data', async () => {
    const p = await fx.createProject({ datasets: accounts(5) });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    await p.writeExport('export', {
      source: { dataset: 'accounts' },
      sink: { format: 'csv', filename: 'accounts-{{timestamp}}' },
    });
    await p.put('in/accounts/1.csv', 'account_id,plan\na1,free\na2,pro\n');
    await p.run('apply', 'accounts', at('2024-05-01T00:00:00Z'));
    await p.put('in/accounts/2.csv', 'account_id,plan\na1,pro\na3,free\n');
    await p.run('apply', 'accounts', at('2024-05-02T00:00:00Z'));
    await p.run('apply', 'export', at('2024-05-02T01:00:00Z'));
    expect((await p.get('out/export/accounts-20240502010000.csv')).toString()).toBe(
      'account_id,plan\na1,pro\na2,pro\na3,free\n',
    );

    const rollback = await p.cli(['state', 'rollback', 'accounts']);
    expect(rollback).toEqual({ code: 0, stdout: 'Dataset accounts is at version 1 now.\n', stderr: '' });
    const manifest = await p.manifest('accounts');
    expect(manifest.current).toBe(1);
    expect(manifest.versions.map((v) => v.version)).toEqual([1, 2]);

    const exported = await p.run('apply', 'export', at('2024-05-03T01:00:00Z'));
    expect(exported.error).toBeUndefined();
    expect((await p.get('out/export/accounts-20240503010000.csv')).toString()).toBe(
      'account_id,plan\na1,free\na2,pro\n',
    );

    // The next import merges into version 1 and becomes version 3; version 2 stays kept.
    await p.put('in/accounts/3.csv', 'account_id,plan\na4,pro\n');
    const next = await p.run('apply', 'accounts', at('2024-05-04T00:00:00Z'));
    expect(next.dataset?.version).toBe(3);
    expect(await p.readDataset('accounts')).toEqual([
      { account_id: 'a1', plan: 'free' },
      { account_id: 'a2', plan: 'pro' },
      { account_id: 'a4', plan: 'pro' },
    ]);
    // Forward again to a named version.
    expect(await p.cli(['state', 'rollback', 'accounts', '--to', '2'])).toMatchObject({ code: 0 });
    expect(await p.readDataset('accounts')).toEqual([
      { account_id: 'a1', plan: 'pro' },
      { account_id: 'a2', plan: 'pro' },
      { account_id: 'a3', plan: 'free' },
    ]);
  });

  it('keeps only keep_versions files, and refuses a version that is not kept', async () => {
    const p = await fx.createProject({ datasets: accounts(2) });
    await p.writeImport('accounts', { dataset: 'accounts', mode: 'upsert' });
    for (const day of [1, 2, 3]) {
      await p.put(`in/accounts/${day}.csv`, `account_id,plan\na${day},pro\n`);
      await p.run('apply', 'accounts', at(`2024-05-0${day}T00:00:00Z`));
    }
    const manifest = await p.manifest('accounts');
    expect([manifest.current, manifest.versions.map((v) => v.version)]).toEqual([3, [2, 3]]);
    const dir = join(p.stateDir, 'datasets', 'accounts');
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.parquet'))
        .sort(),
    ).toEqual(manifest.versions.map((v) => v.file).sort());
    expect(manifest.versions.map((v) => v.file)).toEqual([
      expect.stringMatching(/^v000002-.+\.parquet$/),
      expect.stringMatching(/^v000003-.+\.parquet$/),
    ]);

    const missing = await p.cli(['state', 'rollback', 'accounts', '--to', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('DATASET_VERSION_NOT_FOUND');
    expect(await p.cli(['state', 'rollback', 'accounts'])).toMatchObject({ code: 0 });
    const oldest = await p.cli(['state', 'rollback', 'accounts']);
    expect(oldest.code).toBe(1);
    expect(oldest.stderr).toContain('DATASET_VERSION_NOT_FOUND');
    expect((await p.manifest('accounts')).current).toBe(2);
  });
});
