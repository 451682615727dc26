/**
 * Outputs of a run that never committed (I1, I2): the attack from the safety review. A run fails
 * after uploading part of its output; a new source file arrives before the retry, so the retry takes
 * other inputs and renders other keys. The first run's objects must not stay beside the new ones
 * (downstream would read its rows twice): they were journaled before upload, and the next run that
 * commits deletes them — or, where the sink refuses deletes, reports them in every plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

let fx: EngineFixture;
let proxy: FaultProxy;
beforeAll(async () => {
  fx = await startEngineFixture();
  proxy = await startFaultProxy({ upstream: fx.server.endpoint });
});
afterAll(async () => {
  await proxy?.close();
  await fx?.stop();
});

/** A pipeline writing two rows per object; its first apply fails after the first object landed. */
async function failedAfterOnePart(): Promise<TestProject> {
  const p = await fx.createProject({ sinkEndpoint: proxy.endpoint, maxAttempts: 1 });
  await p.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', pick: 'all-new', format: { kind: 'csv' } },
    sink: {
      directory: 'out/',
      filename: 'rows-{{timestamp}}-{{part}}',
      timestamp_format: 'YYYYMMDDHHmmss',
      format: 'csv',
      max_rows_per_file: 2,
    },
  });
  await p.put('in/1.csv', 'id\n1\n2\n3\n4\n5\n');
  // Outputs upload in parallel: fail parts 2 and 3 by key, so part 1 is the one that lands.
  const rules = ['-2.csv', '-3.csv'].map((keyIncludes) =>
    proxy.addRule({
      match: { method: 'PUT', bucket: p.sinkBucket, keyIncludes },
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    }),
  );
  try {
    const failed = await p.run('apply', { now: at('2024-05-01T06:00:00Z') });
    expect(failed.error?.code).toBe('S3_SERVER_ERROR');
  } finally {
    for (const rule of rules) rule.remove();
  }
  expect((await p.list()).map((o) => o.key)).toEqual(['out/rows-20240501060000-1.csv']);
  // Before the retry, a new file arrives: the retry takes other inputs, so other keys.
  await p.put('in/2.csv', 'id\n6\n');
  return p;
}

describe('orphaned outputs of a failed run', () => {
  it('are shown by plan and deleted by the next successful run; the rows are written once', async () => {
    const p = await failedAfterOnePart();
    const planned = await p.run('plan', { now: at('2024-05-01T07:00:00Z') });
    expect(planned.orphans?.map((o) => o.key)).toEqual([
      'out/rows-20240501060000-1.csv',
      'out/rows-20240501060000-2.csv',
      'out/rows-20240501060000-3.csv',
    ]);
    const retried = await p.run('apply', { now: at('2024-05-01T07:00:00Z') });
    expect(retried.error).toBeUndefined();
    expect(retried.orphansDeleted?.map((o) => o.key)).toEqual(['out/rows-20240501060000-1.csv']);
    const keys = (await p.list()).map((o) => o.key);
    expect(keys).toEqual([
      'out/rows-20240501070000-1.csv',
      'out/rows-20240501070000-2.csv',
      'out/rows-20240501070000-3.csv',
    ]);
    const rows = (await Promise.all(keys.map((k) => p.get(k)))).map((b) =>
      b.toString().split('\n').slice(1, -1),
    );
    expect(rows.flat()).toEqual(['1', '2', '3', '4', '5', '6']);
    // The failed attempt's record is kept; the successful one says what it removed.
    const runs = Object.keys(await p.hashState()).filter((k) => /runs\/.+\.json$/.test(k));
    expect(runs).toHaveLength(2);
    const state = await p.readState('p');
    expect((state?.['lastSuccessfulRun'] as { orphans: unknown }).orphans).toMatchObject({
      deleted: [{ key: 'out/rows-20240501060000-1.csv' }],
      kept: [],
    });
    expect(state?.['orphans']).toBeUndefined();
  });

  it('that the sink refuses to delete are kept in state and reported by every plan until they are gone', async () => {
    const p = await failedAfterOnePart();
    const refuse = proxy.addRule({
      match: { method: 'DELETE', bucket: p.sinkBucket },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    try {
      const retried = await p.run('apply', { now: at('2024-05-01T07:00:00Z') });
      expect(retried.error).toBeUndefined();
      expect(retried.orphansKept).toEqual([
        expect.objectContaining({ key: 'out/rows-20240501060000-1.csv', reason: 'S3_ACCESS_DENIED' }),
      ]);
      const plan = await p.run('plan', { now: at('2024-05-01T08:00:00Z') });
      expect(plan.warnings.map((w) => w.code)).toContain('ORPHANED_OUTPUTS');
      expect(plan.warnings.find((w) => w.code === 'ORPHANED_OUTPUTS')?.message).toContain(
        'out/rows-20240501060000-1.csv',
      );
    } finally {
      refuse.remove();
    }
    // Once deletes are allowed, the next run removes it.
    const next = await p.run('apply', { now: at('2024-05-01T09:00:00Z') });
    expect(next.orphansDeleted?.map((o) => o.key)).toEqual(['out/rows-20240501060000-1.csv']);
    expect((await p.list()).map((o) => o.key)).not.toContain('out/rows-20240501060000-1.csv');
    expect((await p.readState('p'))?.['orphans']).toBeUndefined();
  });
});
