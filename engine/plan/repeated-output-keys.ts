/**
 * Two scheduled runs that would write the same output key: the second fails with OUTPUT_EXISTS
 * (ferry never overwrites another run's output), at a time nobody is watching. The plan says so
 * beforehand. Two cases are looked for, both from the schedule and the sink's template alone:
 * - keys coarser than the schedule: hourly runs into a day's file (the next 50 runs are rendered);
 * - the hour a zone repeats when its clocks go back: an hourly schedule counts real hours, so it runs
 *   twice at 02:30 in Europe/Berlin, and a local timestamp without its offset renders both runs alike
 *   (for each such change in the next year, the runs of the hour before it and their twins after it).
 * A template with {{run_id}} never repeats; one with {{source_stem}} depends on the files a run takes,
 * which a plan cannot know, so it is not judged.
 */
import type { Pipeline } from '../config/model.js';
import { compileSchedule, listSlots } from '../schedule/compile-schedule.js';
import { offsetChanges, zonedParts } from '../time/zoned-time.js';
import { formatScheduledTime } from './next-runs.js';
import { renderOutputKey, runTimeVariables } from './render-output-key.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Runs rendered from now. Two consecutive runs in one period of the key repeat it, and of any three
 * consecutive runs at most one pair straddles the key's boundary unless runs are as sparse as keys:
 * eight covers every schedule a key is coarser than, cheaply (croner takes ≈0.4 ms a run).
 */
const RUNS_AHEAD = 8;
/** Runs checked for a twin in the hour before a change (a minute schedule's first run has one). */
const TWINS_CHECKED = 8;
/** Offsets are sampled weekly: no zone changes its clocks and back within a week. */
const WEEK_MS = 7 * DAY_MS;
/** How far ahead clock changes are looked for. */
const CHANGES_AHEAD_MS = 366 * DAY_MS;

export interface RepeatedOutputKey {
  key: string;
  first: Date;
  second: Date;
  /** The runs fall in the hour the sink's zone repeats when its clocks go back. */
  clocksGoBack: boolean;
}

export function findRepeatedOutputKey(
  pipeline: Pick<Pipeline, 'name' | 'schedule' | 'sink'>,
  now: Date,
): RepeatedOutputKey | undefined {
  const { schedule, sink } = pipeline;
  if (schedule === undefined || sink.kind !== 's3') return undefined;
  if (/\{\{\s*(run_id|source_stem)\s*\}\}/.test(sink.filename)) return undefined;
  const compiled = compileSchedule(schedule);
  if (compiled.anchor !== 'clock') return undefined;
  const keyOf = (runTime: Date): string | undefined => {
    try {
      return renderOutputKey({
        directory: sink.directory,
        template: sink.filename,
        variables: {
          pipeline: pipeline.name,
          ...runTimeVariables(runTime, sink),
          part: 1,
          field: 'field',
          ext: 'ext',
        },
      });
    } catch {
      return undefined; // a template that does not render is validate's to report
    }
  };
  // The zone's offset differs between the two runs: its clocks went back between them.
  const withCause = (repeat: Omit<RepeatedOutputKey, 'clocksGoBack'>): RepeatedOutputKey => ({
    ...repeat,
    clocksGoBack:
      zonedParts(repeat.first, sink.timezone).offsetMs !== zonedParts(repeat.second, sink.timezone).offsetMs,
  });
  const ahead = listSlots(compiled, now, new Date(now.getTime() + CHANGES_AHEAD_MS), RUNS_AHEAD);
  const soon = firstRepeat(ahead, keyOf);
  if (soon) return withCause(soon);
  for (const change of clocksGoingBack(sink.timezone, now)) {
    // A run in the hour before the change has its wall-clock twin one gap later, if the schedule
    // fires then too (wildcard hours do; a time of day fires once).
    const before = listSlots(
      compiled,
      new Date(change.at - change.backMs - 1),
      new Date(change.at - 1),
      TWINS_CHECKED,
    );
    for (const run of before) {
      const twin = new Date(run.getTime() + change.backMs);
      if (compiled.nextSlot(new Date(twin.getTime() - 1))?.getTime() !== twin.getTime()) continue;
      const key = keyOf(run);
      if (key !== undefined && key === keyOf(twin)) return withCause({ key, first: run, second: twin });
    }
  }
  return undefined;
}

/** The plan's warning for a repeated key. */
export function describeRepeatedOutputKey(
  repeat: RepeatedOutputKey,
  sink: { bucket: string; timezone: string },
): string {
  const { bucket, timezone } = sink;
  const when = (d: Date) => formatScheduledTime(d.toISOString(), timezone);
  const why = repeat.clocksGoBack
    ? ` (${timezone} repeats that hour when its clocks go back, and the key's time has no offset)`
    : '';
  return (
    `The runs at ${when(repeat.first)} and ${when(repeat.second)} would both render sink.filename as ${repeat.key} in s3://${bucket}/${why}; ` +
    'the second would fail with OUTPUT_EXISTS. Put {{run_id}} in sink.filename, or make sink.timestamp_format ' +
    'as fine as the schedule, with its offset (Z) or sink.timezone: UTC.'
  );
}

function firstRepeat(
  runs: readonly Date[],
  keyOf: (runTime: Date) => string | undefined,
): Omit<RepeatedOutputKey, 'clocksGoBack'> | undefined {
  const seen = new Map<string, Date>();
  for (const run of runs) {
    const key = keyOf(run);
    if (key === undefined) return undefined;
    const earlier = seen.get(key);
    if (earlier) return { key, first: earlier, second: run };
    seen.set(key, run);
  }
  return undefined;
}

/** Per zone and day: a plan asks for every scheduled pipeline, and the answer changes once a day. */
const changesCache = new Map<string, Array<{ at: number; backMs: number }>>();

/** The instants in the next year when `timezone`'s clocks go back, and by how much. */
function clocksGoingBack(timezone: string, now: Date): Array<{ at: number; backMs: number }> {
  const cacheKey = `${timezone} ${Math.floor(now.getTime() / DAY_MS)}`;
  const cached = changesCache.get(cacheKey);
  if (cached) return cached;
  const changes = offsetChanges(now.getTime(), now.getTime() + CHANGES_AHEAD_MS, timezone, WEEK_MS)
    .filter((change) => change.toMs < change.fromMs)
    .map((change) => ({ at: change.at, backMs: change.fromMs - change.toMs }));
  if (changesCache.size > 64) changesCache.clear();
  changesCache.set(cacheKey, changes);
  return changes;
}
