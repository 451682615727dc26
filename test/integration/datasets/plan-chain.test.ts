/**
 * Plan/apply parity across pipelines: within one plan, a pipeline that reads a dataset sees the
 * version the pipelines before it would write, so `plan` shows what `apply` will do — and plan
 * still writes nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

it('readers are planned against the versions earlier writers would create', async () => {
  const p = await fx.createProject({
    datasets: { accounts: { kind: 'entity', key: ['id'] } },
    segments: { pro: { dataset: 'accounts', where: "plan = 'pro'" } },
  });
  await p.writeImport('import-accounts', { dataset: 'accounts', mode: 'upsert' });
  await p.writeExport('export-pro', {
    source: { segment: 'pro', since_last_run: true },
    sink: { format: 'csv', filename: 'pro-{{timestamp}}' },
  });
  await p.put('in/import-accounts/a1.csv', 'id,plan\n1,pro\n2,free\n3,pro\n');
  const before = await p.hashState();

  const planned = await p.runAll('plan', at('2024-06-01T00:00:00Z'));
  const plannedExport = planned.pipelines.find((x) => x.pipeline === 'export-pro');
  expect(planned.pipelines.map((x) => x.pipeline)).toEqual(['import-accounts', 'export-pro']);
  expect(plannedExport?.counts.rowsRead).toBe(2);
  expect(plannedExport?.outputs.map((o) => o.rows)).toEqual([2]);
  expect(await p.hashState()).toEqual(before);
  expect(await p.list()).toEqual([]);

  const applied = await p.runAll('apply', at('2024-06-01T00:00:00Z'));
  const appliedExport = applied.pipelines.find((x) => x.pipeline === 'export-pro');
  // Everything but the uploads, which only apply does.
  expect({ ...appliedExport?.counts, objectsWritten: 0 }).toEqual(plannedExport?.counts);
  expect(appliedExport?.counts.objectsWritten).toBe(1);
  expect(appliedExport?.outputs.map((o) => [o.key, o.rows])).toEqual(
    plannedExport?.outputs.map((o) => [o.key, o.rows]),
  );

  // Day 2: one more pro account; the plan's export shows exactly the new row.
  await p.put('in/import-accounts/a2.csv', 'id,plan\n4,pro\n');
  const next = await p.runAll('plan', at('2024-06-02T00:00:00Z'));
  expect(next.pipelines.find((x) => x.pipeline === 'export-pro')?.counts.rowsRead).toBe(1);
});
