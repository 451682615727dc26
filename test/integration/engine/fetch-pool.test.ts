/**
 * The fetch step's bounded pool (issue 12): many source files are fetched concurrently, yet each
 * exactly once, each verified (a body cut short is fetched again, only that one), in the plan's order
 * for the load; a GET that fails for good among many fails the run naming its key, with nothing
 * written and state as it was. No per-object HEAD: the listing already gave size and ETag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_CONCURRENCY } from '../../../engine/steps/fetch-step.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { runWithConcurrency } from '../../harness/run-with-concurrency.js';
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

/** More files than the pool holds, so workers take several each. */
const FILES = FETCH_CONCURRENCY * 2 + 7;
const NOW = at('2024-05-01T06:00:00Z');

const keyOf = (i: number) => `in/f_${String(i).padStart(3, '0')}.csv`;

async function projectWithFiles(sourceEndpoint = proxy.endpoint): Promise<TestProject> {
  const project = await fx.createProject({ sourceEndpoint, maxAttempts: 1 });
  await project.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', pick: 'all-new', order: 'key', format: { kind: 'csv' } },
    sink: { directory: 'out/', filename: 'all-{{timestamp}}.csv', format: 'csv' },
  });
  // Written in reverse, so neither upload order nor finishing order can pass for the plan's order.
  const indexes = Array.from({ length: FILES }, (_, i) => FILES - 1 - i);
  await runWithConcurrency(indexes, 8, (i) => project.put(keyOf(i), `id,name\n${i},n${i}\n`));
  return project;
}

const getsOf = (project: TestProject, key: string) =>
  proxy.count({ method: 'GET', bucket: project.sourceBucket, key });

describe('fetch pool', () => {
  it('fetches every file exactly once, verifies each, and loads them in the plan’s order', async () => {
    const project = await projectWithFiles();
    const cut = keyOf(FILES - 3);
    proxy.addRule({
      match: { method: 'GET', bucket: project.sourceBucket, key: cut },
      fault: { kind: 'truncate', afterBytes: 5 },
      times: 1,
    });
    const applied = await project.run('apply', { now: NOW });
    expect(applied.error).toBeUndefined();
    expect(applied.counts.rowsRead).toBe(FILES);
    for (let i = 0; i < FILES; i++) {
      // The cut body was detected by the length check and fetched again; every other file once.
      expect(getsOf(project, keyOf(i))).toBe(keyOf(i) === cut ? 2 : 1);
    }
    expect(proxy.count({ method: 'HEAD', bucket: project.sourceBucket })).toBe(0);
    const [output] = await project.list();
    const lines = (await project.get(output?.key ?? '')).toString('utf8').trim().split('\n');
    expect(lines).toEqual(['id,name', ...Array.from({ length: FILES }, (_, i) => `${i},n${i}`)]);
    proxy.clearRules();
  });

  it('a GET that fails among many fails the run naming its key; nothing written, state unchanged', async () => {
    const project = await projectWithFiles();
    const before = await project.hashState();
    const failing = keyOf(17);
    proxy.addRule({
      match: { method: 'GET', bucket: project.sourceBucket, key: failing },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    const applied = await project.run('apply', { now: NOW });
    proxy.clearRules();
    expect(applied.status).toBe('error');
    expect(applied.error?.code).toBe('S3_ACCESS_DENIED');
    expect(applied.error?.message).toContain(failing);
    expect(await project.list()).toEqual([]);
    const after = await project.hashState();
    // Only the failed attempt's run record is new (every attempt leaves one); nothing else changed.
    const changed = Object.keys(after).filter((file) => after[file] !== before[file]);
    expect(changed.every((file) => file.includes('/runs/'))).toBe(true);
    expect(await project.readState('p')).toBeUndefined();
  });

  it('fetches concurrently: the other files arrive while one GET is still unanswered', async () => {
    // Its own proxy: closing it is how the unanswered GET ends (no timeout, no sleep).
    const own = await startFaultProxy({ upstream: fx.server.endpoint });
    try {
      const project = await projectWithFiles(own.endpoint);
      own.addRule({
        match: { method: 'GET', bucket: project.sourceBucket, key: keyOf(0) },
        fault: { kind: 'hang' },
      });
      const run = project.run('apply', { now: NOW });
      const others = Array.from({ length: FILES - 1 }, (_, i) => keyOf(i + 1));
      // One file at a time would wait on the first forever; a pool fetches all the others meanwhile.
      for (;;) {
        const done = others.every(
          (key) => own.requests.find((r) => r.method === 'GET' && r.key === key)?.status !== undefined,
        );
        if (done) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await own.close();
      const applied = await run;
      expect(applied.status).toBe('error');
      expect(applied.error?.message).toContain(keyOf(0));
      for (const key of others) expect(own.count({ method: 'GET', key })).toBe(1);
      expect(await project.list()).toEqual([]);
    } finally {
      await own.close();
    }
  });
});
