/**
 * Slot arithmetic in the schedule's zone, including both daylight-saving days: on a spring-forward
 * day a time of day inside the gap fires once at the jump, on a fall-back day a time of day inside
 * the repeated hour fires once (its first occurrence), and wildcard-hour schedules count real hours.
 */
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../engine/config/model.js';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import { compileSchedule, listSlots } from '../../../engine/schedule/compile-schedule.js';
import type { Schedule as ScheduleSpec } from '../../../engine/config/pipeline-spec.gen.js';

const schedule = (spec: ScheduleSpec): Schedule => normalizeSchedule(spec, 'UTC');
const slots = (spec: ScheduleSpec, from: string, count: number): string[] => {
  const compiled = compileSchedule(schedule(spec));
  const out: string[] = [];
  let cursor: Date | undefined = new Date(from);
  while (out.length < count && cursor) {
    cursor = compiled.nextSlot(cursor);
    if (cursor) out.push(cursor.toISOString());
  }
  return out;
};

describe('spring forward (Europe/Berlin, 2026-03-29: 02:00 CET → 03:00 CEST)', () => {
  it('daily at 02:30 (a time that does not exist that day) fires once, at 03:00 CEST', () => {
    expect(slots({ daily: { at: '02:30' }, timezone: 'Europe/Berlin' }, '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the jump
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });
  it('daily at 06:00 keeps 06:00 local, so the day is 23 hours long in UTC', () => {
    expect(slots({ daily: { at: '06:00' }, timezone: 'Europe/Berlin' }, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T04:00:00.000Z',
      '2026-03-30T04:00:00.000Z',
    ]);
  });
  it('every 6h (clock) runs at 00:00, 06:00, 12:00 local on both sides of the change', () => {
    expect(slots({ every: '6h', timezone: 'Europe/Berlin' }, '2026-03-28T20:00:00Z', 3)).toEqual([
      '2026-03-28T23:00:00.000Z', // 00:00 CET
      '2026-03-29T04:00:00.000Z', // 06:00 CEST
      '2026-03-29T10:00:00.000Z', // 12:00 CEST
    ]);
  });
});

describe('fall back (Europe/Berlin, 2026-10-25: 03:00 CEST → 02:00 CET)', () => {
  it('daily at 02:30 (a time that happens twice) fires once, at the first 02:30', () => {
    expect(slots({ daily: { at: '02:30' }, timezone: 'Europe/Berlin' }, '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; not again at 02:30 CET (01:30Z)
      '2026-10-26T01:30:00.000Z',
    ]);
  });
  it('hourly fires in both copies of the repeated hour (they are different real hours)', () => {
    expect(slots({ hourly: {}, timezone: 'Europe/Berlin' }, '2026-10-24T23:30:00Z', 3)).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
  });
});

describe('America/New_York', () => {
  it('spring forward (2026-03-08) and fall back (2026-11-01) for daily schedules', () => {
    expect(
      slots({ daily: { at: '02:30' }, timezone: 'America/New_York' }, '2026-03-07T12:00:00Z', 2),
    ).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z',
    ]);
    expect(
      slots({ daily: { at: '01:30' }, timezone: 'America/New_York' }, '2026-11-01T00:00:00Z', 2),
    ).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT, once
      '2026-11-02T06:30:00.000Z',
    ]);
  });
});

/**
 * Every slot whose wall-clock time falls in a spring-forward gap fires once, at the jump; repeated
 * hours keep firing in both copies. The expected instants were computed with Python zoneinfo
 * (/work/scratch/time-fix/gap_slots.py in the change that added them), not with ferry's code.
 */
describe('slots in a spring-forward gap fire at the jump, whatever the pattern', () => {
  const between = (spec: ScheduleSpec, from: string, until: string): string[] =>
    listSlots(compileSchedule(schedule(spec)), new Date(from), new Date(until)).map((d) => d.toISOString());

  it('every 6h in America/Santiago: 2026-09-06 00:00 does not exist, the run is at 01:00 (04:00Z)', () => {
    expect(
      between({ every: '6h', timezone: 'America/Santiago' }, '2026-09-05T15:00:00Z', '2026-09-06T22:00:00Z'),
    ).toEqual([
      '2026-09-05T16:00:00.000Z',
      '2026-09-05T22:00:00.000Z',
      '2026-09-06T04:00:00.000Z', // 00:00 skipped: at the jump, 01:00 -03
      '2026-09-06T09:00:00.000Z',
      '2026-09-06T15:00:00.000Z',
      '2026-09-06T21:00:00.000Z',
    ]);
  });
  it('every 2h in Europe/Berlin on 2026-03-29: 02:00 fires at 03:00 CEST (01:00Z)', () => {
    expect(
      between({ every: '2h', timezone: 'Europe/Berlin' }, '2026-03-28T18:00:00Z', '2026-03-29T07:00:00Z'),
    ).toEqual([
      '2026-03-28T19:00:00.000Z',
      '2026-03-28T21:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T01:00:00.000Z', // 02:00 skipped: at the jump
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T04:00:00.000Z',
      '2026-03-29T06:00:00.000Z',
    ]);
  });
  it('a cron with a list of hours (30 0,2,4 in Europe/Berlin) runs its 02:30 at the jump', () => {
    expect(
      between(
        { cron: '30 0,2,4 * * *', timezone: 'Europe/Berlin' },
        '2026-03-28T22:00:00Z',
        '2026-03-29T05:00:00Z',
      ),
    ).toEqual(['2026-03-28T23:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:30:00.000Z']);
  });
  it('every 15m in Europe/Berlin: the four slots in the gap and 03:00 are one run', () => {
    expect(
      between({ every: '15m', timezone: 'Europe/Berlin' }, '2026-03-29T00:15:00Z', '2026-03-29T01:30:00Z'),
    ).toEqual([
      '2026-03-29T00:30:00.000Z',
      '2026-03-29T00:45:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:15:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ]);
  });
  it('every 2h in America/New_York on 2026-03-08: 02:00 fires at 03:00 EDT (07:00Z)', () => {
    expect(
      between({ every: '2h', timezone: 'America/New_York' }, '2026-03-08T02:00:00Z', '2026-03-08T10:00:00Z'),
    ).toEqual([
      '2026-03-08T03:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
      '2026-03-08T07:00:00.000Z', // 02:00 skipped: at the jump
      '2026-03-08T08:00:00.000Z',
      '2026-03-08T10:00:00.000Z',
    ]);
  });
  it('hourly at :15 on Lord Howe (a 30-minute gap, 02:00 → 02:30): 02:15 fires at 02:30', () => {
    expect(
      between(
        { hourly: { at_minute: 15 }, timezone: 'Australia/Lord_Howe' },
        '2026-10-03T13:00:00Z',
        '2026-10-03T17:15:00Z',
      ),
    ).toEqual([
      '2026-10-03T13:45:00.000Z',
      '2026-10-03T14:45:00.000Z',
      '2026-10-03T15:30:00.000Z', // 02:15 skipped: at the jump
      '2026-10-03T16:15:00.000Z',
      '2026-10-03T17:15:00.000Z',
    ]);
  });
  it('fall back is unchanged: every 2h fires in both copies of 02:00 (Berlin) and once at 01:00 (New York)', () => {
    expect(
      between({ every: '2h', timezone: 'Europe/Berlin' }, '2026-10-24T19:00:00Z', '2026-10-25T05:00:00Z'),
    ).toEqual([
      '2026-10-24T20:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T03:00:00.000Z',
      '2026-10-25T05:00:00.000Z',
    ]);
    expect(
      between({ every: '2h', timezone: 'America/New_York' }, '2026-11-01T01:00:00Z', '2026-11-01T09:00:00Z'),
    ).toEqual([
      '2026-11-01T02:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T09:00:00.000Z',
    ]);
  });
  it('nextSlot from the jump itself goes on to the next slot (no second run at the jump)', () => {
    const compiled = compileSchedule(schedule({ every: '6h', timezone: 'America/Santiago' }));
    expect(compiled.nextSlot(new Date('2026-09-06T04:00:00Z'))?.toISOString()).toBe(
      '2026-09-06T09:00:00.000Z',
    );
  });
});

describe('other kinds', () => {
  it('cron, weekly and monthly in the zone; UTC is the default, never the host zone', () => {
    expect(slots({ cron: '30 2 * * 1-5' }, '2026-01-02T03:00:00Z', 2)).toEqual([
      '2026-01-05T02:30:00.000Z',
      '2026-01-06T02:30:00.000Z',
    ]);
    expect(
      slots({ weekly: { on: 'monday', at: '07:30' }, timezone: 'Asia/Tokyo' }, '2026-01-01T00:00:00Z', 1),
    ).toEqual(['2026-01-04T22:30:00.000Z']);
    expect(slots({ monthly: { day: 'last', at: '05:00' } }, '2026-02-01T00:00:00Z', 2)).toEqual([
      '2026-02-28T05:00:00.000Z',
      '2026-03-31T05:00:00.000Z',
    ]);
  });
  it('every 15m and every 90m (a grid from 2000-01-01 00:00 in the zone)', () => {
    expect(slots({ every: '15m' }, '2026-01-01T10:07:00Z', 2)).toEqual([
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
    ]);
    const ninety = slots({ every: '90m' }, '2026-01-01T10:07:00Z', 2);
    expect(ninety).toEqual(['2026-01-01T10:30:00.000Z', '2026-01-01T12:00:00.000Z']);
    // The same grid whatever instant we start counting from.
    expect(slots({ every: '90m' }, '2026-01-01T10:29:59Z', 1)).toEqual([ninety[0]]);
    expect(slots({ every: '5h', timezone: 'Europe/Berlin' }, '2000-01-01T00:00:00Z', 1)).toEqual([
      '2000-01-01T04:00:00.000Z', // 05:00 CET: midnight CET (23:00Z the day before) + 5h
    ]);
  });
  it('every with anchor: completion counts from the instant given (the previous run’s end)', () => {
    const compiled = compileSchedule(schedule({ every: '6h', anchor: 'completion' }));
    expect(compiled.anchor).toBe('completion');
    expect(compiled.nextSlot(new Date('2026-01-01T10:07:13Z'))?.toISOString()).toBe(
      '2026-01-01T16:07:13.000Z',
    );
  });
  it('listSlots lists the slots in (after, until], capped', () => {
    const compiled = compileSchedule(schedule({ every: '15m' }));
    const list = listSlots(compiled, new Date('2026-01-01T10:00:00Z'), new Date('2026-01-01T11:00:00Z'));
    expect(list.map((d) => d.toISOString().slice(11, 16))).toEqual(['10:15', '10:30', '10:45', '11:00']);
    expect(
      listSlots(compiled, new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'), 10),
    ).toHaveLength(10);
  });
});
