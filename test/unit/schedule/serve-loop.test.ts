/**
 * The service's scheduler loop on an injected clock with a fake runner (no sleeping): overlap is
 * skipped, missed runs are caught up once, daylight-saving days behave, completion-anchored
 * intervals count from the run's end, concurrency and dataset order hold, and a drain stops cleanly.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../engine/log/create-logger.js';
import type { PreviousRun } from '../../../engine/schedule/plan-due-runs.js';
import type { ServeNotification } from '../../../engine/serve/serve-hooks.js';
import { createServeLoop, type ServeLoopOptions } from '../../../engine/serve/serve-loop.js';
import { createFakeClock } from '../../harness/fake-clock.js';
import { createFakeRunner, testConfig, testPipeline } from '../../harness/fake-runner.js';
import type { Pipeline } from '../../../engine/config/model.js';

function setup(
  start: string,
  pipelines: Pipeline[],
  options: {
    previous?: Record<string, PreviousRun>;
    concurrency?: number;
    notify?: ServeLoopOptions['notify'];
  } = {},
) {
  const clock = createFakeClock(start);
  const runner = createFakeRunner(() => clock.now());
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    format: 'json',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    now: () => clock.now().getTime(),
  });
  const loop = createServeLoop({
    config: testConfig(pipelines),
    runOne: runner.runOne,
    readPreviousRun: (name) => Promise.resolve(options.previous?.[name]),
    clock,
    logger,
    concurrency: options.concurrency ?? 2,
    ...(options.notify ? { notify: options.notify } : {}),
  });
  const events = (event: string) => lines.filter((l) => l['event'] === event);
  const startTimes = (name?: string) =>
    runner.calls.filter((c) => name === undefined || c.pipeline === name).map((c) => c.startedAt);
  return { clock, runner, loop, lines, events, startTimes };
}

it('never runs a pipeline twice at once: the slot that comes during a run is skipped and logged', async () => {
  const t = setup('2026-01-01T10:00:00Z', [testPipeline('a', { every: '15m' })]);
  await t.loop.start();
  await t.clock.advanceTo('2026-01-01T10:15:00Z');
  expect(t.startTimes()).toEqual(['2026-01-01T10:15:00.000Z']);
  await t.clock.advanceTo('2026-01-01T10:40:00Z'); // 10:30 passes while the run goes on
  expect(t.runner.calls).toHaveLength(1);
  expect(t.events('run-skipped')).toMatchObject([
    { pipeline: 'a', code: 'SERVE_RUN_SKIPPED', slot: '2026-01-01T10:30:00.000Z', level: 'warn' },
  ]);
  t.runner.calls[0]!.finish();
  await t.clock.advanceTo('2026-01-01T10:45:00Z');
  expect(t.startTimes()).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:45:00.000Z']);
  // Every line of a run carries its run id; start and end agree.
  const [start] = t.events('run-start');
  const [end] = t.events('run-end');
  expect(end).toMatchObject({ runId: start?.['runId'], status: 'succeeded', durationMs: 25 * 60_000 });
  expect(end?.['configRevision']).toBe('rev-1');
});

it('catches up once after downtime, however many slots were missed (coalesced)', async () => {
  const previous = {
    startedAt: new Date('2026-01-01T02:00:01Z'),
    finishedAt: new Date('2026-01-01T02:05:00Z'),
  };
  const t = setup('2026-01-01T07:30:00Z', [testPipeline('a', { hourly: {} })], { previous: { a: previous } });
  await t.loop.start();
  await t.clock.advanceBy(0);
  expect(t.startTimes()).toEqual(['2026-01-01T07:30:00.000Z']);
  expect(t.events('catch-up')).toMatchObject([{ pipeline: 'a', missed: 5 }]);
  expect(t.events('run-start')[0]).toMatchObject({ reason: 'catch-up' });
  t.runner.calls[0]!.finish();
  await t.clock.advanceTo('2026-01-01T08:30:00Z');
  expect(t.startTimes()).toEqual(['2026-01-01T07:30:00.000Z', '2026-01-01T08:00:00.000Z']);
});

it('catch_up: false skips the missed runs and waits for the next slot', async () => {
  const previous = {
    startedAt: new Date('2026-01-01T02:00:01Z'),
    finishedAt: new Date('2026-01-01T02:05:00Z'),
  };
  const t = setup('2026-01-01T07:30:00Z', [testPipeline('a', { hourly: {}, catch_up: false })], {
    previous: { a: previous },
  });
  await t.loop.start();
  await t.clock.advanceTo('2026-01-01T07:59:59Z');
  expect(t.runner.calls).toHaveLength(0);
  expect(t.events('missed-skipped')).toMatchObject([{ pipeline: 'a', missed: 5 }]);
  await t.clock.advanceTo('2026-01-01T08:00:00Z');
  expect(t.startTimes()).toEqual(['2026-01-01T08:00:00.000Z']);
});

describe('daylight saving time (Europe/Berlin)', () => {
  const finishAll = (t: ReturnType<typeof setup>) => t.runner.open().forEach((c) => c.finish());
  it('spring forward: daily at 02:30 runs once, at 03:00 CEST (the time does not exist that day)', async () => {
    const t = setup('2026-03-28T12:00:00Z', [
      testPipeline('a', { daily: { at: '02:30' }, timezone: 'Europe/Berlin' }),
    ]);
    await t.loop.start();
    for (const until of ['2026-03-29T12:00:00Z', '2026-03-30T12:00:00Z']) {
      await t.clock.advanceTo(until);
      finishAll(t);
    }
    expect(t.startTimes()).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });
  it('fall back: daily at 02:30 runs once, at the first 02:30 (the time happens twice that day)', async () => {
    const t = setup('2026-10-24T12:00:00Z', [
      testPipeline('a', { daily: { at: '02:30' }, timezone: 'Europe/Berlin' }),
    ]);
    await t.loop.start();
    for (const until of ['2026-10-25T12:00:00Z', '2026-10-26T12:00:00Z']) {
      await t.clock.advanceTo(until);
      finishAll(t);
    }
    expect(t.startTimes()).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });
});

it('every with anchor: completion starts a pipeline that never ran, then counts from each run’s end', async () => {
  const t = setup('2026-01-01T10:00:00Z', [testPipeline('a', { every: '1h', anchor: 'completion' })]);
  await t.loop.start();
  await t.clock.advanceBy(0);
  expect(t.startTimes()).toEqual(['2026-01-01T10:00:00.000Z']);
  await t.clock.advanceTo('2026-01-01T10:20:00Z');
  t.runner.calls[0]!.finish();
  await t.clock.advanceTo('2026-01-01T11:19:59Z');
  expect(t.runner.calls).toHaveLength(1);
  await t.clock.advanceTo('2026-01-01T11:20:00Z');
  expect(t.startTimes()).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:20:00.000Z']);
  // A failed run is followed the same way (no tight retry loop).
  await t.clock.advanceTo('2026-01-01T11:25:00Z');
  t.runner.calls[1]!.finish({ status: 'failed', error: { code: 'S3_NETWORK', message: 'reset' } });
  await t.clock.advanceTo('2026-01-01T12:24:59Z');
  expect(t.runner.calls).toHaveLength(2);
  await t.clock.advanceTo('2026-01-01T12:25:00Z');
  expect(t.runner.calls).toHaveLength(3);
});

it('runs independent pipelines concurrently up to --concurrency; a reader waits for the writer before it', async () => {
  const every = { every: '15m' } as const;
  const t = setup(
    '2026-01-01T10:00:00Z',
    [
      testPipeline('export-accounts', every, { reads: 'accounts' }),
      testPipeline('import-accounts', every, { writes: 'accounts' }),
      testPipeline('x', every),
      testPipeline('y', every),
    ],
    { concurrency: 2 },
  );
  await t.loop.start();
  await t.clock.advanceTo('2026-01-01T10:15:00Z');
  // import-accounts is queued first (writers before readers); the reader waits for it, x runs beside it.
  expect(t.runner.open().map((c) => c.pipeline)).toEqual(['import-accounts', 'x']);
  expect(t.events('run-waiting')).toMatchObject([
    { pipeline: 'export-accounts', blockedBy: ['import-accounts'] },
  ]);
  t.runner.calls.find((c) => c.pipeline === 'x')!.finish();
  await t.clock.advanceBy(0);
  expect(t.runner.open().map((c) => c.pipeline)).toEqual(['import-accounts', 'y']);
  t.runner.calls.find((c) => c.pipeline === 'import-accounts')!.finish();
  await t.clock.advanceBy(0);
  expect(t.runner.open().map((c) => c.pipeline)).toEqual(['y', 'export-accounts']);
});

it('calls the notify hook on success, failure and a stale source', async () => {
  const sent: ServeNotification[] = [];
  const t = setup('2026-01-01T10:00:00Z', [testPipeline('a', { every: '15m' })], {
    notify: (n) => void sent.push(n),
  });
  await t.loop.start();
  await t.clock.advanceTo('2026-01-01T10:15:00Z');
  t.runner.calls[0]!.finish({
    warnings: [{ code: 'SEQUENCE_OVERDUE', message: 'the next file is overdue' }],
  });
  await t.clock.advanceTo('2026-01-01T10:30:00Z');
  t.runner.calls[1]!.finish({ status: 'failed', error: { code: 'S3_ACCESS_DENIED', message: 'denied' } });
  await t.clock.advanceBy(0);
  expect(sent.map((n) => [n.kind, n.pipeline])).toEqual([
    ['success', 'a'],
    ['stale', 'a'],
    ['failure', 'a'],
  ]);
  expect(sent[2]).toMatchObject({ error: { code: 'S3_ACCESS_DENIED' }, configRevision: 'rev-1' });
  expect(t.loop.pipelines()[0]).toMatchObject({
    lastError: { code: 'S3_ACCESS_DENIED' },
    lastSuccessAt: '2026-01-01T10:15:00.000Z',
    nextRun: '2026-01-01T10:45:00.000Z',
  });
});

describe('drain', () => {
  it('starts nothing new, stops running runs at their next step and ends clean', async () => {
    const t = setup(
      '2026-01-01T10:00:00Z',
      [testPipeline('a', { every: '15m' }), testPipeline('b', { every: '15m' })],
      {
        concurrency: 1,
      },
    );
    await t.loop.start();
    await t.clock.advanceTo('2026-01-01T10:15:00Z');
    const [running] = t.runner.open();
    const drained = t.loop.drain('SIGTERM', 25_000);
    expect(running?.signal.aborted).toBe(true);
    expect(running?.signal.reason).toBe('SIGTERM');
    running?.finish({ status: 'failed', error: { code: 'RUN_INTERRUPTED', message: 'stopped' } });
    expect(await drained).toEqual({ clean: true, stillRunning: [] });
    expect(t.events('run-not-started')).toMatchObject([{ pipeline: 'b' }]);
    await t.clock.advanceTo('2026-01-01T12:00:00Z');
    expect(t.runner.calls).toHaveLength(1);
  });
  it('reports the runs still going when the grace period ends', async () => {
    const t = setup('2026-01-01T10:00:00Z', [testPipeline('a', { every: '15m' })]);
    await t.loop.start();
    await t.clock.advanceTo('2026-01-01T10:15:00Z');
    const drained = t.loop.drain('SIGTERM', 25_000);
    await t.clock.advanceBy(25_000);
    expect(await drained).toEqual({ clean: false, stillRunning: ['a'] });
  });
});

it('adopts a new configuration between runs: added, changed, removed (a running run finishes)', async () => {
  const t = setup('2026-01-01T10:00:00Z', [
    testPipeline('a', { every: '15m' }),
    testPipeline('b', { every: '15m' }),
  ]);
  await t.loop.start();
  await t.clock.advanceTo('2026-01-01T10:15:00Z');
  expect(t.runner.open().map((c) => c.pipeline)).toEqual(['a', 'b']);
  await t.loop.adopt(
    testConfig([testPipeline('b', { every: '1h' }), testPipeline('c', { every: '30m' })], 'rev-2'),
  );
  expect(t.loop.pipelines().map((p) => [p.name, p.nextRun])).toEqual([
    ['a', null], // removed, its run still going
    ['b', '2026-01-01T11:00:00.000Z'],
    ['c', '2026-01-01T10:30:00.000Z'],
  ]);
  expect(t.runner.calls[0]!.config.revision).toBe('rev-1'); // the run keeps the configuration it started with
  t.runner.open().forEach((c) => c.finish());
  await t.clock.advanceTo('2026-01-01T11:00:00Z');
  expect(t.loop.pipelines().map((p) => p.name)).toEqual(['b', 'c']);
  expect(t.runner.calls.slice(2).map((c) => [c.pipeline, c.startedAt, c.config.revision])).toEqual([
    ['c', '2026-01-01T10:30:00.000Z', 'rev-2'],
    ['b', '2026-01-01T11:00:00.000Z', 'rev-2'],
  ]);
  expect(t.events('pipeline-removed')).toMatchObject([{ pipeline: 'a' }]);
});
