/**
 * Plan/apply parity and idempotence end to end (RELIABILITY.md I2, I3, I5): a plan reports what the
 * apply then does; a second apply writes nothing; an upload that fails for good leaves state as it
 * was, and the retry — later, with the fault gone — writes exactly the keys the first attempt would
 * have written (the pending journal keeps the run time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

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

const SINK = {
  directory: 'out/',
  filename: 'accounts-{{timestamp}}-{{part}}',
  timestamp_format: 'YYYYMMDD[T]HHmmss',
  format: 'csv',
  max_rows_per_file: 2,
};

describe('plan/apply parity', () => {
  it('a plan reports the counts and keys the apply then writes; a second apply writes nothing but its time', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv', max_rejects: 1 } },
      diff: { key: ['id'] },
      sink: SINK,
    });
    await project.put('in/a.csv', 'id,name\n1,Ada\n2,Bob\n3,Cy\n4\n');
    const now = at('2024-05-01T06:00:00Z');
    const planned = await project.run('plan', { now });
    expect(planned.error).toBeUndefined();
    expect(await project.list()).toEqual([]);
    expect(await project.hashState()).toEqual({});

    const applied = await project.run('apply', { now });
    expect(applied.error).toBeUndefined();
    // Same counts (apply adds only what the plan cannot do: the objects written) and same outputs.
    expect(applied.counts).toEqual({ ...planned.counts, objectsWritten: 2 });
    expect(applied.outputs).toEqual(planned.outputs);
    expect(applied.rejects).toEqual(planned.rejects);
    expect(applied.selection).toEqual(planned.selection);
    const listed = await project.list();
    expect(listed).toEqual(planned.outputs.map((o) => ({ key: o.key, size: o.bytes })));
    expect(listed.map((o) => o.key)).toEqual([
      'out/accounts-20240501T060000-1.csv',
      'out/accounts-20240501T060000-2.csv',
    ]);

    const LAST_RUN = 'pipelines/p/last-run.json';
    const { [LAST_RUN]: lastRun, ...state } = await project.hashState();
    expect(lastRun).toBeDefined();
    const again = await project.run('apply', { now: at('2024-05-01T07:00:00Z') });
    expect(again.error).toBeUndefined();
    expect(again.status).toBe('no-changes');
    expect(again.counts).toMatchObject({ filesNew: 0, rowsRead: 0, rowsWritten: 0, objectsWritten: 0 });
    expect(again.outputs).toEqual([]);
    expect(await project.list()).toEqual(listed);
    // Nothing committed; only when it ran is recorded, for serve's catch-up after a restart.
    const { [LAST_RUN]: lastRunAgain, ...stateAgain } = await project.hashState();
    expect(stateAgain).toEqual(state);
    expect(lastRunAgain).not.toBe(lastRun);
    expect(await project.readLastRun('p')).toMatchObject({
      runId: again.attemptId,
      startedAt: '2024-05-01T07:00:00.000Z',
    });
  });

  it('the CLI agrees: plan --detailed-exitcode says 2 before and 0 after apply', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' } },
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    });
    await project.put('in/a.csv', 'id\n1\n');
    const plan = await project.cli(['plan', '--detailed-exitcode', '--format', 'json']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    const planJson = JSON.parse(plan.stdout) as { pipelines: Array<{ outputs: Array<{ key: string }> }> };
    expect(planJson.pipelines[0]?.outputs.map((o) => o.key)).toEqual(['out/a.csv']);

    const apply = await project.cli(['apply', '--format', 'json']);
    expect(apply.code).toBe(0);
    expect((await project.list()).map((o) => o.key)).toEqual(['out/a.csv']);
    expect((await project.get('out/a.csv')).toString()).toBe('id\n1\n');

    const after = await project.cli(['plan', '--detailed-exitcode']);
    expect(after.code).toBe(0);
  });
});

describe('failed upload, then retry', () => {
  it('leaves state byte-identical, and the retry writes the same keys despite a later clock', async () => {
    const project = await fx.createProject({ sinkEndpoint: proxy.endpoint, maxAttempts: 2 });
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' } },
      diff: { key: ['id'] },
      sink: SINK,
    });
    // A first, successful day, so there is committed state (and a snapshot) to protect.
    await project.put('in/a.csv', 'id,name\n1,Ada\n');
    const day1 = await project.run('apply', { now: at('2024-05-01T06:00:00Z') });
    expect(day1.error).toBeUndefined();
    const listedBefore = await project.list();
    const before = await project.hashState();
    expect(Object.keys(before).some((k) => k.includes('snapshot-'))).toBe(true);

    await project.put('in/b.csv', 'id,name\n2,Bob\n3,Cy\n4,Di\n');
    const attempt = at('2024-05-02T06:00:00Z');
    const planned = await project.run('plan', { now: attempt });
    const expectedKeys = planned.outputs.map((o) => o.key);
    expect(expectedKeys).toEqual([
      'out/accounts-20240502T060000-1.csv',
      'out/accounts-20240502T060000-2.csv',
    ]);

    const rule = proxy.addRule({
      match: { method: 'PUT', bucket: project.sinkBucket },
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });
    let failed;
    try {
      failed = await project.run('apply', { now: attempt });
    } finally {
      rule.remove();
    }
    expect(failed.status).toBe('error');
    expect(failed.error?.code).toBe('S3_SERVER_ERROR');
    expect(failed.error?.message).toContain(project.sinkBucket);
    // Bounded: max_attempts per request, not forever.
    expect(rule.hits).toBeGreaterThanOrEqual(1);
    expect(rule.hits).toBeLessThanOrEqual(4);
    expect(await project.list()).toEqual(listedBefore);

    // Committed state is byte-identical; the only new files are the run log and the journal.
    const after = await project.hashState();
    for (const [path, hash] of Object.entries(before)) expect(after[path], path).toBe(hash);
    expect(
      Object.keys(after)
        .filter((k) => !(k in before))
        .map((k) => k.replace(/runs\/[^/]+\.json$/, 'runs/<run>.json')),
    ).toEqual(['pipelines/p/journal.json', 'pipelines/p/runs/<run>.json']);

    // A plan before the retry shows what the retry will write: the journaled keys, not the clock's.
    const replanned = await project.run('plan', { now: at('2024-05-02T07:00:00Z') });
    expect(replanned.outputs).toEqual(planned.outputs);
    expect(await project.hashState()).toEqual(after);

    // The retry runs an hour later; the journal keeps the first attempt's run time, so the keys match.
    const retried = await project.run('apply', { now: at('2024-05-02T07:00:00Z') });
    expect(retried.error).toBeUndefined();
    expect(retried.runTime).toBe(attempt.toISOString());
    expect(retried.outputs).toEqual(planned.outputs);
    expect((await project.list()).map((o) => o.key)).toEqual([
      ...listedBefore.map((o) => o.key),
      ...expectedKeys,
    ]);
    expect((await project.get(expectedKeys[0] ?? '')).toString()).toBe('id,name\n2,Bob\n3,Cy\n');
    expect((await project.get(expectedKeys[1] ?? '')).toString()).toBe('id,name\n4,Di\n');
    const final = await project.hashState();
    expect(Object.keys(final).some((k) => k.endsWith('journal.json'))).toBe(false);
    // The retry has a run record of its own, linked to the failed attempt, which is kept.
    const records = (hashes: Record<string, string>) =>
      Object.keys(hashes).filter((k) => /runs\/[^/]+\.json$/.test(k));
    expect(records(final)).toEqual(expect.arrayContaining(records(after)));
    expect(records(final)).toHaveLength(records(after).length + 1);
    expect(retried.retryOf).toBeDefined();
    expect(retried.attemptId).not.toBe(retried.runId);

    // And the run after that starts from the committed state: nothing left to do.
    const next = await project.run('apply', { now: at('2024-05-02T08:00:00Z') });
    expect(next.status).toBe('no-changes');
    expect(next.runTime).toBe('2024-05-02T08:00:00.000Z');
  });

  it('after a partial upload (part 1 written, part 2 failed) the retry overwrites, never duplicates', async () => {
    const project = await fx.createProject({ sinkEndpoint: proxy.endpoint, maxAttempts: 1 });
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' } },
      sink: SINK,
    });
    await project.put('in/a.csv', 'id,name\n1,Ada\n2,Bob\n3,Cy\n');
    // Outputs upload in parallel: fail part 2 by key, so part 1 is the one that lands.
    const rule = proxy.addRule({
      match: { method: 'PUT', bucket: project.sinkBucket, keyIncludes: '-2.csv' },
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });
    let failed;
    try {
      failed = await project.run('apply', { now: at('2024-05-01T06:00:00Z') });
    } finally {
      rule.remove();
    }
    expect(failed.error?.code).toBe('S3_SERVER_ERROR');
    expect((await project.list()).map((o) => o.key)).toEqual(['out/accounts-20240501T060000-1.csv']);
    expect(await project.readState('p')).toBeUndefined();

    const retried = await project.run('apply', { now: at('2024-05-01T09:00:00Z') });
    expect(retried.error).toBeUndefined();
    expect((await project.list()).map((o) => o.key)).toEqual([
      'out/accounts-20240501T060000-1.csv',
      'out/accounts-20240501T060000-2.csv',
    ]);
    expect((await project.get('out/accounts-20240501T060000-1.csv')).toString()).toBe(
      'id,name\n1,Ada\n2,Bob\n',
    );
    expect((await project.get('out/accounts-20240501T060000-2.csv')).toString()).toBe('id,name\n3,Cy\n');
  });
});
