import { describe, expect, it } from 'vitest';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import { diffConfig } from '../../../engine/plan/diff-config.js';
import { nextRuns } from '../../../engine/plan/next-runs.js';

describe('diffConfig', () => {
  it('lists added, removed and changed paths in order', () => {
    expect(
      diffConfig(
        { sink: { filename: 'a-{{timestamp}}', compress: 'none' }, source: { prefix: 'x/' } },
        { sink: { filename: 'b-{{timestamp}}', compress: 'none', limit: 10 }, source: {} },
      ),
    ).toEqual([
      { path: 'sink.filename', change: 'changed', before: 'a-{{timestamp}}', after: 'b-{{timestamp}}' },
      { path: 'sink.limit', change: 'added', after: 10 },
      { path: 'source', change: 'added', after: {} },
      { path: 'source.prefix', change: 'removed', before: 'x/' },
    ]);
  });

  it('is empty for equal configurations', () => {
    expect(diffConfig({ a: [1, 2], b: { c: null } }, { a: [1, 2], b: { c: null } })).toEqual([]);
  });
});

describe('schedules', () => {
  const from = new Date('2026-03-28T12:00:00Z');
  const runs = (spec: Parameters<typeof normalizeSchedule>[0]) =>
    nextRuns(normalizeSchedule(spec, 'UTC'), from).map((d) => d.toISOString());

  it('daily at a time of day in a time zone, across the DST change', () => {
    expect(runs({ daily: { at: '06:00' }, timezone: 'Europe/Berlin' })).toEqual([
      '2026-03-29T04:00:00.000Z',
      '2026-03-30T04:00:00.000Z',
      '2026-03-31T04:00:00.000Z',
    ]);
  });

  it('every 6h is anchored to midnight in the zone', () => {
    expect(runs({ every: '6h' })).toEqual([
      '2026-03-28T18:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T06:00:00.000Z',
    ]);
  });

  it('weekly and monthly (including the last day)', () => {
    expect(runs({ weekly: { on: 'monday', at: '07:30' }, timezone: 'America/New_York' })[0]).toBe(
      '2026-03-30T11:30:00.000Z',
    );
    expect(runs({ monthly: { day: 'last', at: '05:00' } })[0]).toBe('2026-03-31T05:00:00.000Z');
    expect(runs({ monthly: { day: 1 } })[0]).toBe('2026-04-01T00:00:00.000Z');
  });

  it('hourly at a minute, and cron as written', () => {
    expect(runs({ hourly: { at_minute: 15 } })[0]).toBe('2026-03-28T12:15:00.000Z');
    expect(runs({ cron: '30 2 * * 1-5', timezone: 'UTC' })[0]).toBe('2026-03-30T02:30:00.000Z');
  });

  it('describes the schedule as the user wrote it', () => {
    expect(normalizeSchedule({ daily: { at: '06:00' }, timezone: 'Europe/Berlin' }, 'UTC').description).toBe(
      'daily at 06:00 (Europe/Berlin)',
    );
  });
});
