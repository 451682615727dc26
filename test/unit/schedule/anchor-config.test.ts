/** `schedule.anchor` in configuration: completion needs `every`; it normalizes to a completion-anchored interval. */
import { expect, it } from 'vitest';
import { checkConfigFile } from '../../../engine/config/check-config-file.js';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';

const pipeline = (schedule: string) =>
  [
    'name: p',
    'source: {kind: s3, connection: c, bucket: inbox, format: {kind: csv}}',
    'sink: {kind: s3, connection: c, bucket: outbox, format: csv}',
    `schedule: ${schedule}`,
    '',
  ].join('\n');

const check = (schedule: string) =>
  checkConfigFile({ path: 'p.yaml', text: pipeline(schedule) }, 'pipeline', {
    resolve: { refuse: () => undefined, read: () => undefined },
  });

it('accepts every with anchor clock or completion', () => {
  expect(check('{every: 6h, anchor: completion}').problems).toEqual([]);
  expect(check('{every: 6h, anchor: clock}').problems).toEqual([]);
});

it('rejects anchor without every, and an unknown anchor, at the key', () => {
  expect(
    check("{daily: {at: '06:00'}, anchor: completion}").problems.map((p) => [p.code, p.at?.line, p.at?.col]),
  ).toEqual([['CONFIG_MISSING_KEY', 4, 34]]);
  expect(check('{every: 6h, anchor: finish}').problems.map((p) => p.code)).toEqual(['CONFIG_INVALID_VALUE']);
});

it('normalizes: completion stays an interval whatever its length; clock intervals that divide a day become cron', () => {
  expect(normalizeSchedule({ every: '6h', anchor: 'completion' }, 'UTC')).toMatchObject({
    kind: 'every',
    everyMs: 6 * 3_600_000,
    anchor: 'completion',
    description: 'every 6h after the previous run ends (UTC)',
  });
  expect(normalizeSchedule({ every: '6h' }, 'UTC')).toMatchObject({ kind: 'cron', cron: '0 */6 * * *' });
  expect(normalizeSchedule({ every: '5h', anchor: 'clock' }, 'UTC')).toMatchObject({
    kind: 'every',
    anchor: 'clock',
  });
});
