/**
 * The next times a schedule fires, in its own time zone (never the host's), and how plans show
 * them: local time in the schedule's zone with the UTC time beside it.
 */
import type { Schedule } from '../config/model.js';
import { compileSchedule } from '../schedule/compile-schedule.js';

/**
 * The next `count` times after `from`. A completion-anchored `every` counts from `from` (a plan
 * does not know when the previous run will end), so its times are the earliest possible ones.
 */
export function nextRuns(schedule: Schedule, from: Date, count = 3): Date[] {
  const compiled = compileSchedule(schedule);
  const runs: Date[] = [];
  let cursor = from;
  while (runs.length < count) {
    const next = compiled.nextSlot(cursor);
    if (!next) break;
    runs.push(next);
    cursor = next;
  }
  return runs;
}

/**
 * The zone a normalized schedule description ends with: "daily at 06:00 (Europe/Berlin)". The plan
 * keeps the description and UTC times only, so renderers read the zone back from it.
 */
export function scheduleTimezone(description: string): string | undefined {
  return /\(([A-Za-z0-9_+\-/]+)\)$/.exec(description)?.[1];
}

/**
 * "2026-03-30 06:00 (04:00 UTC)" — local time in the schedule's zone, then UTC (with the UTC date
 * when it differs). In UTC itself, or without a known zone: "2026-03-30 04:00 UTC".
 */
export function formatScheduledTime(iso: string, timezone: string | undefined): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const utc = wallClock(instant, 'UTC');
  if (!timezone || wallClock(instant, timezone).join(' ') === utc.join(' ')) return `${utc.join(' ')} UTC`;
  const local = wallClock(instant, timezone);
  return `${local.join(' ')} (${local[0] === utc[0] ? utc[1] : utc.join(' ')} UTC)`;
}

function wallClock(instant: Date, timeZone: string): [string, string] {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(instant);
  } catch {
    return wallClock(instant, 'UTC');
  }
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return [`${get('year')}-${get('month')}-${get('day')}`, `${get('hour')}:${get('minute')}`];
}

/**
 * A plan's next run times (UTC ISO strings) as renderers show them; ["never"] when the schedule
 * matches no date (validate refuses such crons, but a plan must not print an empty "next").
 */
export function formatNextRuns(schedule: { description: string; next: readonly string[] }): string[] {
  if (schedule.next.length === 0) return ['never'];
  const zone = scheduleTimezone(schedule.description);
  return schedule.next.map((iso) => formatScheduledTime(iso, zone));
}
