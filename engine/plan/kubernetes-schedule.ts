/**
 * A pipeline's schedule as a Kubernetes CronJob `schedule` + `timeZone`, and the CronJob's
 * `startingDeadlineSeconds`. Kubernetes parses five-field cron with robfig/cron's standard parser:
 * no `L` (last day), `W` or `#`, no seconds field. `every` intervals that divide an hour or a day are
 * already cron (normalize-pipeline.ts); any other interval has no cron form and is refused.
 */
import { Cron } from 'croner';
import type { Schedule } from '../config/model.js';

export type KubernetesSchedule =
  | { ok: true; schedule: string; timeZone: string; startingDeadlineSeconds: number }
  | { ok: false; reason: string };

/** A CronJob's controller gives up on a job once more than 100 of its times were missed in the window. */
const MISSED_LIMIT_SAFETY = 50;
const MAX_DEADLINE_SECONDS = 86_400;
/** catch_up: false — a run that could not start within this long is skipped until the next time. */
const NO_CATCH_UP_DEADLINE_SECONDS = 300;
/** Month and weekday names (JUL and WED hold an L and a W that are not the special characters). */
const NAMES = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)\b/gi;

function shortestIntervalSeconds(cron: string, timeZone: string): number {
  const job = new Cron(cron, { timezone: timeZone, paused: true });
  const runs = job.nextRuns(12, new Date('2026-01-01T00:00:00Z'));
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i++) {
    const a = runs[i - 1];
    const b = runs[i];
    if (a && b) shortest = Math.min(shortest, (b.getTime() - a.getTime()) / 1000);
  }
  return Number.isFinite(shortest) ? shortest : MAX_DEADLINE_SECONDS;
}

export function compileKubernetesSchedule(schedule: Schedule): KubernetesSchedule {
  if (schedule.kind === 'every') {
    return {
      ok: false,
      reason: `${schedule.description} has no cron form (only intervals that divide an hour or a day do, e.g. 15m, 6h, 24h)`,
    };
  }
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    return {
      ok: false,
      reason: `cron "${schedule.cron}" has ${fields.length} fields; Kubernetes takes five`,
    };
  }
  const withoutNames = fields.slice(2, 5).join(' ').replace(NAMES, '');
  if (/[LW#]/i.test(withoutNames)) {
    return {
      ok: false,
      reason: `cron "${schedule.cron}" uses L, W or # (${schedule.description}), which Kubernetes does not support`,
    };
  }
  const interval = shortestIntervalSeconds(schedule.cron, schedule.timezone);
  const startingDeadlineSeconds = schedule.catchUp
    ? Math.max(60, Math.min(MAX_DEADLINE_SECONDS, Math.floor(interval * MISSED_LIMIT_SAFETY)))
    : Math.max(10, Math.min(NO_CATCH_UP_DEADLINE_SECONDS, Math.floor(interval / 2)));
  return { ok: true, schedule: fields.join(' '), timeZone: schedule.timezone, startingDeadlineSeconds };
}
