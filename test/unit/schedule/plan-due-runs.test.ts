/** The scheduler's pure decisions: catch-up (coalesced), overlap, late timers, completion anchors. */
import { describe, expect, it } from 'vitest';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import type { Schedule as ScheduleSpec } from '../../../engine/config/pipeline-spec.gen.js';
import { compileSchedule } from '../../../engine/schedule/compile-schedule.js';
import {
  msUntilNextDue,
  planDueAfterRun,
  planDueRuns,
  planFirstDue,
} from '../../../engine/schedule/plan-due-runs.js';

const compiled = (spec: ScheduleSpec) => compileSchedule(normalizeSchedule(spec, 'UTC'));
const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

describe('planFirstDue (start of serve)', () => {
  const hourly = compiled({ hourly: {} });
  it('catches up once for many missed slots (coalesced)', () => {
    const first = planFirstDue(hourly, {
      previous: { startedAt: at('2026-01-01T00:00:05Z'), finishedAt: at('2026-01-01T00:01:00Z') },
      now: at('2026-01-01T05:30:00Z'),
      catchUp: true,
    });
    expect(first.catchUp).toBe(true);
    expect(iso(first.due)).toBe('2026-01-01T05:30:00.000Z');
    expect(first.missed.map((d) => d.toISOString().slice(11, 16))).toEqual([
      '01:00',
      '02:00',
      '03:00',
      '04:00',
      '05:00',
    ]);
  });
  it('catch_up: false skips the missed slots and waits for the next one', () => {
    const first = planFirstDue(hourly, {
      previous: { startedAt: at('2026-01-01T00:00:05Z'), finishedAt: at('2026-01-01T00:01:00Z') },
      now: at('2026-01-01T05:30:00Z'),
      catchUp: false,
    });
    expect([first.catchUp, iso(first.due), first.missed.length]).toEqual([
      false,
      '2026-01-01T06:00:00.000Z',
      5,
    ]);
  });
  it('nothing missed, or never ran: the next slot', () => {
    const recent = planFirstDue(hourly, {
      previous: { startedAt: at('2026-01-01T05:00:01Z'), finishedAt: at('2026-01-01T05:10:00Z') },
      now: at('2026-01-01T05:30:00Z'),
      catchUp: true,
    });
    expect([recent.catchUp, iso(recent.due), recent.missed]).toEqual([false, '2026-01-01T06:00:00.000Z', []]);
    const never = planFirstDue(hourly, {
      previous: undefined,
      now: at('2026-01-01T05:30:00Z'),
      catchUp: true,
    });
    expect(iso(never.due)).toBe('2026-01-01T06:00:00.000Z');
  });
  it('completion anchor: from the previous run’s end; at once when it never ran or is overdue', () => {
    const six = compiled({ every: '6h', anchor: 'completion' });
    const previous = { startedAt: at('2026-01-01T00:00:00Z'), finishedAt: at('2026-01-01T00:20:00Z') };
    expect(iso(planFirstDue(six, { previous, now: at('2026-01-01T03:00:00Z'), catchUp: true }).due)).toBe(
      '2026-01-01T06:20:00.000Z',
    );
    const overdue = planFirstDue(six, { previous, now: at('2026-01-02T01:00:00Z'), catchUp: true });
    expect([overdue.catchUp, iso(overdue.due), overdue.missed.length]).toEqual([
      true,
      '2026-01-02T01:00:00.000Z',
      4,
    ]);
    const skipped = planFirstDue(six, { previous, now: at('2026-01-02T01:00:00Z'), catchUp: false });
    expect([skipped.catchUp, iso(skipped.due)]).toEqual([false, '2026-01-02T06:20:00.000Z']);
    expect(
      iso(planFirstDue(six, { previous: undefined, now: at('2026-01-02T01:00:00Z'), catchUp: true }).due),
    ).toBe('2026-01-02T01:00:00.000Z');
  });
});

describe('planDueRuns (the timer fired)', () => {
  const quarter = compiled({ every: '15m' });
  it('starts a due pipeline and moves its next due to the next slot', () => {
    const [action] = planDueRuns(
      [{ name: 'a', schedule: quarter, nextDue: at('2026-01-01T10:15:00Z'), busy: false }],
      at('2026-01-01T10:15:00.004Z'),
    );
    expect(action).toMatchObject({ name: 'a', action: 'start', slots: 1 });
    expect(iso(action?.nextDue)).toBe('2026-01-01T10:30:00.000Z');
  });
  it('skips a slot that comes while the previous run is still going (no overlap)', () => {
    const [action] = planDueRuns(
      [{ name: 'a', schedule: quarter, nextDue: at('2026-01-01T10:15:00Z'), busy: true }],
      at('2026-01-01T10:15:00Z'),
    );
    expect(action?.action).toBe('skip-overlap');
    expect(iso(action?.nextDue)).toBe('2026-01-01T10:30:00.000Z');
  });
  it('coalesces the slots a late timer slept through into one start', () => {
    const [action] = planDueRuns(
      [{ name: 'a', schedule: quarter, nextDue: at('2026-01-01T10:15:00Z'), busy: false }],
      at('2026-01-01T11:20:00Z'),
    );
    expect([action?.action, action?.slots, iso(action?.nextDue)]).toEqual([
      'start',
      5, // 10:15, 10:30, 10:45, 11:00, 11:15
      '2026-01-01T11:30:00.000Z',
    ]);
  });
  it('leaves pipelines that are not due alone', () => {
    expect(
      planDueRuns(
        [
          { name: 'a', schedule: quarter, nextDue: at('2026-01-01T10:30:00Z'), busy: false },
          { name: 'b', schedule: quarter, nextDue: undefined, busy: false },
        ],
        at('2026-01-01T10:29:59Z'),
      ),
    ).toEqual([]);
  });
  it('completion anchor: the next due comes from the run’s end, not from the slot', () => {
    const six = compiled({ every: '6h', anchor: 'completion' });
    const [action] = planDueRuns(
      [{ name: 'c', schedule: six, nextDue: at('2026-01-01T06:00:00Z'), busy: false }],
      at('2026-01-01T06:00:00Z'),
    );
    expect([action?.action, action?.nextDue]).toEqual(['start', undefined]);
    expect(iso(planDueAfterRun(six, { finishedAt: at('2026-01-01T07:42:00Z'), nextDue: undefined }))).toBe(
      '2026-01-01T13:42:00.000Z',
    );
    const clockNext = at('2026-01-01T10:30:00Z');
    expect(planDueAfterRun(quarter, { finishedAt: at('2026-01-01T10:21:00Z'), nextDue: clockNext })).toBe(
      clockNext,
    );
  });
});

it('msUntilNextDue sleeps until the earliest due time, capped', () => {
  const now = at('2026-01-01T10:00:00Z');
  expect(
    msUntilNextDue([at('2026-01-01T10:00:30Z'), undefined, at('2026-01-01T10:00:10Z')], now, 60_000),
  ).toBe(10_000);
  expect(msUntilNextDue([at('2026-01-02T10:00:00Z')], now, 60_000)).toBe(60_000);
  expect(msUntilNextDue([at('2026-01-01T09:00:00Z')], now, 60_000)).toBe(0);
  expect(msUntilNextDue([], now, 60_000)).toBe(60_000);
});
