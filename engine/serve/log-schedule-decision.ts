/** The log lines of a pipeline's first scheduling: caught up, missed runs skipped, next run. */
import type { Pipeline } from '../config/model.js';
import type { Logger } from '../log/create-logger.js';
import { formatScheduledTime } from '../plan/next-runs.js';
import { MAX_COUNTED_SLOTS } from '../schedule/compile-schedule.js';
import type { FirstDue, PreviousRun } from '../schedule/plan-due-runs.js';

export function logFirstDue(
  logger: Logger,
  pipeline: Pipeline,
  first: FirstDue,
  previous: PreviousRun | undefined,
  timezone: string,
): void {
  const description = pipeline.schedule?.description ?? '';
  const fields = { event: 'scheduled', pipeline: pipeline.name, schedule: description };
  const missed = `${first.missed.length}${first.missed.length >= MAX_COUNTED_SLOTS ? '+' : ''}`;
  if (first.catchUp) {
    logger.info(
      { ...fields, event: 'catch-up', missed: first.missed.length, since: previous?.startedAt.toISOString() },
      `missed ${missed} run(s) since ${previous?.startedAt.toISOString() ?? 'never'}: running once now`,
    );
  } else if (first.missed.length > 0) {
    logger.info(
      { ...fields, event: 'missed-skipped', missed: first.missed.length },
      `missed ${missed} run(s) while stopped; catch_up is false, so they are skipped`,
    );
  }
  logger.info(
    { ...fields, nextRun: first.due?.toISOString() },
    `scheduled ${description}; next ${first.due ? formatScheduledTime(first.due.toISOString(), timezone) : 'never'}`,
  );
}
