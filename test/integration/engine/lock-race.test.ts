/**
 * One writer per pipeline (I4), over both state backends, forced deterministically: a run is held at a point right after it
 * read state (a gate, not a sleep), and another run is started meanwhile.
 *
 * Before the fix, apply read state and only then took the lock, so a second apply that was quicker
 * at that moment processed and committed the same files, and the first one — reading stale state —
 * processed them again (duplicated outputs) and overwrote the second's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

/** A promise to hold a run at a point, and the function that lets it go. */
function gate(): { reached: Promise<void>; hold: () => Promise<void>; release: () => void } {
  let markReached!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (markReached = r));
  const released = new Promise<void>((r) => (release = r));
  return {
    reached,
    hold: async () => {
      markReached();
      await released;
    },
    release,
  };
}

async function project(fx: EngineFixture): Promise<TestProject> {
  const p = await fx.createProject();
  await p.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', pick: 'all-new', format: { kind: 'csv' } },
    sink: {
      directory: 'out/',
      filename: 'rows-{{timestamp}}',
      timestamp_format: 'YYYYMMDDHHmmss',
      format: 'csv',
    },
  });
  for (const n of [1, 2, 3]) await p.put(`in/${n}.csv`, `id\n${n}\n`);
  return p;
}

// The same race over each state backend: a directory, and S3 on moto (conditional writes enforced).
describe.each(['local', 's3'] as const)('two applies of one pipeline at once (%s state)', (state) => {
  let fx: EngineFixture;
  beforeAll(async () => {
    fx = await startEngineFixture({ state });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('the second is refused (LOCK_HELD) while the first holds the state it read; nothing is processed twice', async () => {
    const p = await project(fx);
    const first = gate();
    const slow = p.run('apply', {
      now: at('2024-05-01T06:00:00Z'),
      pipelineOptions: { afterStateRead: first.hold },
    });
    await first.reached;
    const quick = await p.run('apply', { now: at('2024-05-01T06:00:05Z') });
    expect(quick.error?.code).toBe('LOCK_HELD');
    first.release();
    const done = await slow;
    expect(done.error).toBeUndefined();
    expect(done.selection.selected).toHaveLength(3);
    expect((await p.list()).map((o) => o.key)).toEqual(['out/rows-20240501060000.csv']);
    const state = await p.readState('p');
    expect((state?.['history'] as unknown[]).length).toBe(1);
    // And once the first is done, the next apply finds nothing new.
    const after = await p.run('apply', { now: at('2024-05-01T06:00:10Z') });
    expect(after.status).toBe('no-changes');
    expect(await p.list()).toHaveLength(1);
  });

  it('a run whose lock was taken over (it expired) commits nothing; the next run removes its outputs', async () => {
    const p = await project(fx);
    const first = gate();
    // The first run's lock expires at once for the second run, whose clock is an hour later.
    const slow = p.run('apply', {
      now: at('2024-05-01T06:00:00Z'),
      pipelineOptions: { afterStateRead: first.hold, lock: { heartbeatMs: 3_600_000 } },
    });
    await first.reached;
    const later = () => new Date(Date.now() + 3_600_000);
    const taker = await p.run('apply', {
      now: at('2024-05-01T07:00:00Z'),
      pipelineOptions: { lock: { now: later, heartbeatMs: 3_600_000 } },
    });
    expect(taker.error).toBeUndefined();
    const stateAfterTaker = await p.hashState();
    first.release();
    const lost = await slow;
    // It uploaded (its outputs are journaled), then found before committing that the lock is not its own.
    expect(lost.error?.code).toBe('LOCK_LOST');
    const committed = Object.fromEntries(
      Object.entries(await p.hashState()).filter(([k]) => !/runs\/|journal\.json|lock\.json/.test(k)),
    );
    expect(committed).toEqual(
      Object.fromEntries(
        Object.entries(stateAfterTaker).filter(([k]) => !/runs\/|journal\.json|lock\.json/.test(k)),
      ),
    );
    expect((await p.list()).map((o) => o.key).sort()).toEqual([
      'out/rows-20240501060000.csv',
      'out/rows-20240501070000.csv',
    ]);
    // The next run removes the loser's output, which no committed state accounts for.
    const planned = await p.run('plan', { now: at('2024-05-01T08:00:00Z') });
    expect(planned.orphans?.map((o) => o.key)).toEqual(['out/rows-20240501060000.csv']);
    const next = await p.run('apply', { now: at('2024-05-01T08:00:00Z') });
    expect(next.error).toBeUndefined();
    expect(next.orphansDeleted?.map((o) => o.key)).toEqual(['out/rows-20240501060000.csv']);
    expect((await p.list()).map((o) => o.key)).toEqual(['out/rows-20240501070000.csv']);
    expect((await p.run('apply', { now: at('2024-05-01T09:00:00Z') })).status).toBe('no-changes');
  });
});
