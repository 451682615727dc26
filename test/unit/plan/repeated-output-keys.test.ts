import { describe, expect, it } from 'vitest';
import type { S3Sink } from '../../../engine/config/model.js';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import {
  describeRepeatedOutputKey,
  findRepeatedOutputKey,
} from '../../../engine/plan/repeated-output-keys.js';

/** The day before Europe/Berlin's clocks go back (2026-10-25 03:00 CEST → 02:00 CET, 01:00 UTC). */
const NOW = new Date('2026-10-24T12:00:00Z');

function sink(overrides: Partial<S3Sink> = {}): S3Sink {
  return {
    kind: 's3',
    connection: 'c',
    bucket: 'out',
    directory: 'feed/',
    filename: 'feed-{{timestamp}}.csv',
    timestampFormat: 'YYYYMMDDHHmmss',
    timezone: 'Europe/Berlin',
    format: { kind: 'csv' } as S3Sink['format'],
    compress: 'none',
    ...overrides,
  };
}

const hourlyAt30 = normalizeSchedule({ hourly: { at_minute: 30 }, timezone: 'Europe/Berlin' }, 'UTC');

describe('output keys two scheduled runs would share', () => {
  it('hourly runs in the hour Berlin repeats render one local time twice', () => {
    const repeat = findRepeatedOutputKey({ name: 'feed', schedule: hourlyAt30, sink: sink() }, NOW);
    expect(repeat).toEqual({
      key: 'feed/feed-20261025023000.csv',
      first: new Date('2026-10-25T00:30:00Z'),
      second: new Date('2026-10-25T01:30:00Z'),
      clocksGoBack: true,
    });
    expect(describeRepeatedOutputKey(repeat!, { bucket: 'out', timezone: 'Europe/Berlin' })).toBe(
      'The runs at 2026-10-25 02:30 (00:30 UTC) and 2026-10-25 02:30 (01:30 UTC) would both render ' +
        'sink.filename as feed/feed-20261025023000.csv in s3://out/ (Europe/Berlin repeats that hour when its clocks go back, and the ' +
        "key's time has no offset); the second would fail with OUTPUT_EXISTS. Put {{run_id}} in " +
        'sink.filename, or make sink.timestamp_format as fine as the schedule, with its offset (Z) or ' +
        'sink.timezone: UTC.',
    );
  });

  it('is found a year ahead, and not at all when the key has the offset, is in UTC or has the run id', () => {
    const inMarch = new Date('2026-03-01T00:00:00Z');
    expect(findRepeatedOutputKey({ name: 'f', schedule: hourlyAt30, sink: sink() }, inMarch)?.first).toEqual(
      new Date('2026-10-25T00:30:00Z'),
    );
    for (const overrides of [
      { timestampFormat: 'YYYYMMDDHHmmssZ' },
      { timezone: 'UTC' },
      { filename: 'feed-{{timestamp}}-{{run_id}}.csv' },
      { filename: 'feed-{{ source_stem }}.csv' },
    ]) {
      expect(
        findRepeatedOutputKey({ name: 'f', schedule: hourlyAt30, sink: sink(overrides) }, NOW),
      ).toBeUndefined();
    }
  });

  it('a daily run at a repeated time runs once, so its key is not repeated', () => {
    const daily = normalizeSchedule({ daily: { at: '02:30' }, timezone: 'Europe/Berlin' }, 'UTC');
    expect(findRepeatedOutputKey({ name: 'f', schedule: daily, sink: sink() }, NOW)).toBeUndefined();
  });

  it('keys coarser than the schedule repeat on any day, in any zone', () => {
    const every6h = normalizeSchedule({ every: '6h' }, 'UTC');
    const repeat = findRepeatedOutputKey(
      { name: 'f', schedule: every6h, sink: sink({ timezone: 'UTC', filename: 'feed-{{date}}.csv' }) },
      new Date('2026-07-01T01:00:00Z'),
    );
    expect(repeat).toEqual({
      key: 'feed/feed-2026-07-01.csv',
      first: new Date('2026-07-01T06:00:00Z'),
      second: new Date('2026-07-01T12:00:00Z'),
      clocksGoBack: false,
    });
  });

  it('says nothing without a schedule, for a completion-anchored one, or for a dataset sink', () => {
    expect(findRepeatedOutputKey({ name: 'f', sink: sink() }, NOW)).toBeUndefined();
    const completion = normalizeSchedule({ every: '1h', anchor: 'completion' }, 'UTC');
    expect(findRepeatedOutputKey({ name: 'f', schedule: completion, sink: sink() }, NOW)).toBeUndefined();
    expect(
      findRepeatedOutputKey(
        { name: 'f', schedule: hourlyAt30, sink: { kind: 'dataset', dataset: 'd', mode: 'upsert' } },
        NOW,
      ),
    ).toBeUndefined();
  });
});
