/**
 * A normalized schedule compiled to slot arithmetic: the first time it fires after an instant, in
 * its own IANA zone (never the host's). Pure: no timers, no clock; callers pass the instants.
 *
 * Daylight saving: a slot whose time of day does not exist on a spring-forward day (02:30 in
 * Europe/Berlin, 00:00 in America/Santiago) fires once, at the jump (03:00 / 01:00 local); several
 * slots in one gap (every 15m) are that one run. A time of day that exists twice on a fall-back day
 * fires once, at its first occurrence; schedules with a wildcard, step or list in the hour (hourly,
 * every 15m, every 6h) count real hours, so they fire in both copies of the repeated hour. croner
 * gives the repeated-hour behaviour, and moves gap slots to the jump only for a single hour and
 * minute (`30 2 * * *`); it drops the others (`0 *\/6 * * *` at 00:00 in Santiago), so
 * withGapSlots adds them. Clock `every` intervals that divide neither an hour nor a day (90m, 5h, 2d) are
 * fixed durations on a grid counted from 2000-01-01 00:00 in the zone.
 */
import { Cron } from 'croner';
import type { Schedule } from '../config/model.js';
import { offsetChanges } from '../time/zoned-time.js';

export interface CompiledSchedule {
  /** clock: fixed times; completion: `everyMs` after the previous run ended. */
  readonly anchor: 'clock' | 'completion';
  readonly timezone: string;
  /** The interval, for `every` schedules. */
  readonly everyMs: number | undefined;
  /**
   * clock: the first slot strictly after `after` (undefined if the expression never fires again,
   * e.g. `0 0 30 2 *`). completion: `after` + the interval (pass the previous run's end).
   */
  nextSlot(after: Date): Date | undefined;
}

/** Upper bound of slots counted or listed at once (a minute schedule after a week down: 10 080). */
export const MAX_COUNTED_SLOTS = 1000;

export function compileSchedule(schedule: Schedule): CompiledSchedule {
  const { timezone } = schedule;
  if (schedule.kind === 'every') {
    const everyMs = schedule.everyMs;
    if (schedule.anchor === 'completion') {
      return {
        anchor: 'completion',
        timezone,
        everyMs,
        nextSlot: (after) => new Date(after.getTime() + everyMs),
      };
    }
    const origin = localMidnight2000(timezone).getTime();
    return {
      anchor: 'clock',
      timezone,
      everyMs,
      nextSlot: (after) => {
        const k = Math.floor((after.getTime() - origin) / everyMs) + 1;
        return new Date(origin + k * everyMs);
      },
    };
  }
  const cron = new Cron(schedule.cron, { timezone, paused: true });
  return {
    anchor: 'clock',
    timezone,
    everyMs: undefined,
    nextSlot: withGapSlots(schedule.cron, timezone, (after) => cron.nextRun(after) ?? undefined),
  };
}

/**
 * croner's next run, or earlier the jump of a spring-forward gap that a slot of the pattern falls
 * in. The pattern is matched against the skipped wall-clock times by reading it in UTC with those
 * times written as UTC instants ("wall as UTC").
 */
function withGapSlots(
  pattern: string,
  timezone: string,
  nextRun: (after: Date) => Date | undefined,
): (after: Date) => Date | undefined {
  const wallCron = new Cron(pattern, { timezone: 'UTC', paused: true });
  return (after) => {
    const next = nextRun(after);
    if (!next) return undefined;
    for (const change of offsetChanges(after.getTime(), next.getTime(), timezone)) {
      if (change.toMs <= change.fromMs) continue; // fall back: nothing is skipped
      // Skipped wall times: [at + from, at + to). croner's runs fall on whole seconds.
      const firstSkipped = change.at + change.fromMs;
      const match = wallCron.nextRun(new Date(firstSkipped - 1000));
      if (match && match.getTime() < change.at + change.toMs) return new Date(change.at);
    }
    return next;
  };
}

/** Clock slots in (after, until], oldest first, at most `cap` of them. */
export function listSlots(
  schedule: CompiledSchedule,
  after: Date,
  until: Date,
  cap: number = MAX_COUNTED_SLOTS,
): Date[] {
  const slots: Date[] = [];
  if (schedule.anchor !== 'clock') return slots;
  let cursor = schedule.nextSlot(after);
  while (cursor !== undefined && cursor.getTime() <= until.getTime() && slots.length < cap) {
    slots.push(cursor);
    cursor = schedule.nextSlot(cursor);
  }
  return slots;
}

function localMidnight2000(timezone: string): Date {
  const first = new Cron('0 0 1 1 *', { timezone, paused: true }).nextRun(new Date('1999-12-30T00:00:00Z'));
  return first ?? new Date('2000-01-01T00:00:00Z');
}
