/**
 * A normalized schedule compiled to slot arithmetic: the first time it fires after an instant, in
 * its own IANA zone (never the host's). Pure: no timers, no clock; callers pass the instants.
 *
 * Daylight saving follows croner, which behaves like Vixie cron: a time of day that does not exist
 * on a spring-forward day (02:30 in Europe/Berlin) fires once at the jump (03:00 local); a time of
 * day that exists twice on a fall-back day fires once, at its first occurrence. Schedules with a
 * wildcard hour (hourly, every 15m, every 6h) count real hours, so they fire in both copies of the
 * repeated hour. Clock `every` intervals that divide neither an hour nor a day (90m, 5h, 2d) are
 * fixed durations on a grid counted from 2000-01-01 00:00 in the zone.
 */
import { Cron } from 'croner';
import type { Schedule } from '../config/model.js';

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
    nextSlot: (after) => cron.nextRun(after) ?? undefined,
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
