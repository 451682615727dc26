/** Plans show next runs in the schedule's zone with UTC beside them; JSON keeps UTC instants. */
import { expect, it } from 'vitest';
import { normalizeSchedule } from '../../../engine/config/normalize-pipeline.js';
import {
  formatNextRuns,
  formatScheduledTime,
  nextRuns,
  scheduleTimezone,
} from '../../../engine/plan/next-runs.js';
import { renderPlanText } from '../../../engine/report/render-plan-text.js';
import { renderPlanMarkdown } from '../../../engine/report/render-plan-markdown.js';
import type { Plan, PipelinePlan } from '../../../engine/plan/plan-model.js';

it('formats a run time in the zone, then UTC (with the UTC date when it differs)', () => {
  expect(formatScheduledTime('2026-03-30T04:00:00.000Z', 'Europe/Berlin')).toBe(
    '2026-03-30 06:00 (04:00 UTC)',
  );
  expect(formatScheduledTime('2026-03-29T16:00:00.000Z', 'Asia/Tokyo')).toBe(
    '2026-03-30 01:00 (2026-03-29 16:00 UTC)',
  );
  expect(formatScheduledTime('2026-03-30T04:00:00.000Z', 'UTC')).toBe('2026-03-30 04:00 UTC');
  expect(formatScheduledTime('2026-03-30T04:00:00.000Z', undefined)).toBe('2026-03-30 04:00 UTC');
  // The two 02:30s of a fall-back day are told apart by their UTC times.
  expect(formatScheduledTime('2026-10-25T00:30:00.000Z', 'Europe/Berlin')).toBe(
    '2026-10-25 02:30 (00:30 UTC)',
  );
  expect(formatScheduledTime('2026-10-25T01:30:00.000Z', 'Europe/Berlin')).toBe(
    '2026-10-25 02:30 (01:30 UTC)',
  );
});

it('reads the zone back from a normalized description', () => {
  const schedule = normalizeSchedule({ daily: { at: '06:00' }, timezone: 'America/New_York' }, 'UTC');
  expect(scheduleTimezone(schedule.description)).toBe('America/New_York');
  expect(scheduleTimezone(normalizeSchedule({ every: '6h', anchor: 'completion' }, 'UTC').description)).toBe(
    'UTC',
  );
  expect(scheduleTimezone('no zone here')).toBeUndefined();
});

it('plan text and Markdown show both forms; completion-anchored schedules say so', () => {
  const schedule = normalizeSchedule({ daily: { at: '06:00' }, timezone: 'Europe/Berlin' }, 'UTC');
  const next = nextRuns(schedule, new Date('2026-03-28T12:00:00Z'), 2).map((d) => d.toISOString());
  const shown = formatNextRuns({ description: schedule.description, next });
  expect(shown).toEqual(['2026-03-29 06:00 (04:00 UTC)', '2026-03-30 06:00 (04:00 UTC)']);
  const pipeline = {
    pipeline: 'p',
    runId: 'r',
    runTime: '2026-03-28T12:00:00.000Z',
    selection: { listed: 0, matched: 0, selected: [], changed: [], skipped: [], warnings: [] },
    steps: [],
    schedule: { description: schedule.description, next },
    configChanges: [],
    firstApply: false,
    counts: {} as PipelinePlan['counts'],
    outputs: [],
    rejects: [],
    fingerprints: { config: '', state: '', inputs: [] },
    warnings: [],
    sql: [],
    status: 'no-changes',
  } as unknown as PipelinePlan;
  const plan: Plan = {
    formatVersion: 1,
    createdAt: '2026-03-28T12:00:00.000Z',
    project: 'ferry.yaml',
    pipelines: [pipeline],
  };
  expect(renderPlanText(plan, { verb: 'Plan' })).toContain(
    'schedule daily at 06:00 (Europe/Berlin); next 2026-03-29 06:00 (04:00 UTC), 2026-03-30 06:00 (04:00 UTC)',
  );
  expect(renderPlanMarkdown(plan, { verb: 'Plan' })).toContain(
    'next runs 2026-03-29 06:00 (04:00 UTC), 2026-03-30',
  );
  const completion = normalizeSchedule(
    { every: '6h', anchor: 'completion', timezone: 'Europe/Berlin' },
    'UTC',
  );
  expect(completion.description).toBe('every 6h after the previous run ends (Europe/Berlin)');
  expect(nextRuns(completion, new Date('2026-03-28T12:00:07Z'), 2).map((d) => d.toISOString())).toEqual([
    '2026-03-28T18:00:07.000Z',
    '2026-03-29T00:00:07.000Z',
  ]);
});

it('says "never" for a schedule that matches no date, never an empty "next"', () => {
  const schedule = normalizeSchedule({ cron: '0 0 30 2 *', timezone: 'Europe/Berlin' }, 'UTC');
  const next = nextRuns(schedule, new Date('2026-01-01T00:00:00Z')).map((d) => d.toISOString());
  expect(next).toEqual([]);
  expect(formatNextRuns({ description: schedule.description, next })).toEqual(['never']);
});
