/**
 * mode: mirror's default guard (docs/guards.md): a truncated export (3 of 100 rows) would delete 97%
 * of the dataset; apply refuses with exit code 6, the dataset keeps its version and rows, and the
 * file is quarantined; `--allow max_deleted` lets it through; a looser max_deleted too.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startDatasetFixture, type DatasetFixture, type DatasetProject } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const ORGS = {
  organizations: {
    kind: 'entity',
    key: ['organization_id'],
    columns: { organization_id: 'VARCHAR', name: 'VARCHAR' },
  },
};
const orgs = (n: number) =>
  `organization_id,name\n${Array.from({ length: n }, (_, i) => `o${i + 1},Org ${i + 1}`).join('\n')}\n`;
const DAY1 = at('2024-05-01T06:00:00Z');

async function mirrorProject(): Promise<DatasetProject> {
  const p = await fx.createProject({ datasets: ORGS });
  await p.writeImport('orgs', { dataset: 'organizations', mode: 'mirror' });
  await p.put('in/orgs/1.csv', orgs(100));
  expect((await p.run('apply', 'orgs', DAY1)).error).toBeUndefined();
  await p.put('in/orgs/2.csv', orgs(3));
  return p;
}

describe('max_deleted under mode: mirror', () => {
  it('refuses to delete more than half the dataset by default, writing nothing', async () => {
    const p = await mirrorProject();
    const manifestBefore = await p.manifest('organizations');
    const hashesBefore = await p.hashState();

    const planned = await p.cli(['plan', '--format', 'json']);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { pipelines: Array<{ guards: unknown }> };
    expect(plan.pipelines[0]?.guards).toEqual([
      {
        guard: 'max_deleted',
        count: 97,
        limit: 50,
        setting: '50%',
        base: 100,
        tripped: true,
        allowed: false,
      },
    ]);

    const refused = await p.cli(['apply']);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toContain('GUARD_TRIPPED');
    expect(refused.stdout).toContain('--allow max_deleted');
    // The dataset is untouched: same manifest, same version files.
    expect(await p.manifest('organizations')).toEqual(manifestBefore);
    const datasetFiles = (h: Record<string, string>) =>
      Object.entries(h).filter(([k]) => k.startsWith('datasets/'));
    expect(datasetFiles(await p.hashState())).toEqual(datasetFiles(hashesBefore));
    expect(await p.readDataset('organizations', { select: 'count(*) AS n', orderBy: '1' })).toEqual([
      { n: 100n },
    ]);
    const state = await p.readState('orgs');
    expect(state?.['processed']).toEqual([expect.objectContaining({ key: 'in/orgs/1.csv' })]);
    expect(state?.['quarantined']).toEqual([
      expect.objectContaining({ key: 'in/orgs/2.csv', code: 'GUARD_TRIPPED', guards: ['max_deleted'] }),
    ]);

    const allowed = await p.cli(['apply', '--allow', 'max_deleted']);
    expect(allowed.code).toBe(0);
    expect(await p.readDataset('organizations', { select: 'count(*) AS n', orderBy: '1' })).toEqual([
      { n: 3n },
    ]);
    expect((await p.readState('orgs'))?.['quarantined']).toBeUndefined();
  });

  it('a user loosens the default with guards.max_deleted', async () => {
    const p = await mirrorProject();
    const file = join(p.dir, 'pipelines', 'orgs.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}guards:\n  max_deleted: 100%\n`);
    const planned = JSON.parse((await p.cli(['plan', '--format', 'json'])).stdout) as {
      pipelines: Array<{ guards: unknown }>;
    };
    expect(planned.pipelines[0]?.guards).toEqual([
      {
        guard: 'max_deleted',
        count: 97,
        limit: 100,
        setting: '100%',
        base: 100,
        tripped: false,
        allowed: false,
      },
    ]);
    const applied = await p.cli(['apply']);
    expect(applied.code).toBe(0);
    expect(await p.readDataset('organizations', { select: 'count(*) AS n', orderBy: '1' })).toEqual([
      { n: 3n },
    ]);
  });
});
