/** The next times a schedule fires, in its own time zone (never the host's). */
import { Cron } from 'croner';
import type { Schedule } from '../config/model.js';

export function nextRuns(schedule: Schedule, from: Date, count = 3): Date[] {
  if (schedule.kind === 'every') {
    return Array.from({ length: count }, (_, i) => new Date(from.getTime() + (i + 1) * schedule.everyMs));
  }
  const cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
  try {
    return cron.nextRuns(count, from);
  } finally {
    cron.stop();
  }
}
