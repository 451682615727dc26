/**
 * The service's scheduler loop: one entry per enabled, scheduled pipeline with its next due time;
 * a timer wakes the loop at the earliest one (at least once a minute, so a clock jump is noticed).
 *
 * Invariants (see engine/serve/CONTEXT.md): one run per pipeline at a time (a slot that comes while
 * it runs or waits is skipped and logged); missed slots are coalesced into one run; at most
 * `concurrency` runs at once; a pipeline sharing a dataset with a running or earlier-queued one
 * waits; a new configuration is adopted between runs (a run keeps the configuration it started
 * with); on drain nothing new starts and running runs are asked to stop at their next step.
 */
import type { Pipeline } from '../config/model.js';
import type { Logger } from '../log/create-logger.js';
import { logRunEvent } from '../log/log-run-event.js';
import type { RunEvent } from '../run/run-events.js';
import { orderPipelines } from '../plan/order-pipelines.js';
import { createRunId } from '../run/run-pipeline.js';
import { compileSchedule } from '../schedule/compile-schedule.js';
import {
  msUntilNextDue,
  planDueAfterRun,
  planDueRuns,
  planFirstDue,
  type PreviousRun,
} from '../schedule/plan-due-runs.js';
import { sharedDatasets } from './dataset-conflicts.js';
import { failedOutcome, type RunOne, type RunOutcome, type ServeConfig } from './run-one.js';
import { waitWithGrace, type ServeClock } from './serve-clock.js';
import { buildNotifications, deliverNotifications, type Notify, type ServeObserver } from './serve-hooks.js';
import { recordOutcome, snapshotEntry, type PipelineStatus, type ServeEntry } from './serve-status.js';
import { logFirstDue } from './log-schedule-decision.js';

export interface ServeLoopOptions {
  config: ServeConfig;
  runOne: RunOne;
  /** The previous run's times from state, for catch-up and completion anchors. */
  readPreviousRun: (pipeline: string, config: ServeConfig) => Promise<PreviousRun | undefined>;
  clock: ServeClock;
  logger: Logger;
  concurrency: number;
  observer?: ServeObserver;
  notify?: Notify;
  /** Longest sleep between looks at the clock. Default 60 s. */
  maxSleepMs?: number;
}

export interface DrainResult {
  clean: boolean;
  /** Pipelines still running when the grace period ended. */
  stillRunning: string[];
}

export interface ServeLoop {
  start(): Promise<void>;
  /** Adopts a new (valid) configuration: pipelines added, changed, removed. */
  adopt(config: ServeConfig): Promise<void>;
  /** Starts nothing more, asks running runs to stop at their next step, waits up to `graceMs`. */
  drain(reason: string, graceMs: number): Promise<DrainResult>;
  pipelines(): PipelineStatus[];
  config(): ServeConfig;
}

export function createServeLoop(options: ServeLoopOptions): ServeLoop {
  const { clock, logger, runOne } = options;
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const entries = new Map<string, ServeEntry>();
  const queue: string[] = [];
  const inflight = new Set<Promise<void>>();
  const stop = new AbortController();
  let config = options.config;
  let rank = rankOf(config.pipelines);
  let timer: unknown;
  let draining = false;

  const scheduled = (c: ServeConfig) => c.pipelines.filter((p) => p.enabled && p.schedule);

  async function addEntry(pipeline: Pipeline, catchUp: boolean): Promise<void> {
    const schedule = compileSchedule(pipeline.schedule!);
    let previous: PreviousRun | undefined;
    try {
      previous = await options.readPreviousRun(pipeline.name, config);
    } catch (error) {
      logger.warn(
        { event: 'state-unreadable', pipeline: pipeline.name, code: errorCode(error) },
        'cannot read the previous run from state; scheduling as if it never ran',
      );
    }
    const now = clock.now();
    const first = planFirstDue(schedule, { previous, now, catchUp: catchUp && pipeline.schedule!.catchUp });
    const entry: ServeEntry = {
      name: pipeline.name,
      pipeline,
      schedule,
      nextDue: first.due,
      state: 'idle',
      catchUpPending: first.catchUp,
      ...(previous ? { previous } : {}),
    };
    if (previous) {
      entry.lastSuccessAt = previous.finishedAt.toISOString();
      options.observer?.previousSuccess(pipeline.name, previous.finishedAt);
    }
    entries.set(pipeline.name, entry);
    logFirstDue(logger, pipeline, first, previous, schedule.timezone);
  }

  function wake(): void {
    if (draining) return;
    clock.clearTimeout(timer);
    const now = clock.now();
    const actions = planDueRuns(
      [...entries.values()].map((e) => ({ ...e, busy: e.state !== 'idle' })),
      now,
    ).sort((a, b) => (rank.get(a.name) ?? 0) - (rank.get(b.name) ?? 0));
    for (const action of actions) {
      const entry = entries.get(action.name);
      if (!entry) continue;
      entry.nextDue = action.nextDue;
      if (action.action === 'skip-overlap') {
        options.observer?.runSkipped(entry.name, 'overlap');
        logger.warn(
          {
            event: 'run-skipped',
            pipeline: entry.name,
            code: 'SERVE_RUN_SKIPPED',
            slot: action.slot.toISOString(),
          },
          `the run due at ${action.slot.toISOString()} is skipped: the previous run is still ${entry.state}`,
        );
        continue;
      }
      entry.state = 'queued';
      entry.waitCounted = false;
      queue.push(entry.name);
      if (action.slots > 1)
        logger.info(
          { event: 'coalesced', pipeline: entry.name, slots: action.slots },
          `${action.slots} due times passed at once; running once`,
        );
    }
    dispatch();
    timer = clock.setTimeout(
      safeWake,
      msUntilNextDue(
        [...entries.values()].map((e) => e.nextDue),
        now,
        maxSleepMs,
      ),
    );
  }

  /** A bug in the loop is logged, never allowed to kill the service; it looks again later. */
  function internalError(error: unknown): void {
    logger.error(
      { event: 'internal-error', code: 'INTERNAL' },
      `internal error in the scheduler (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }

  function safeWake(): void {
    try {
      wake();
    } catch (error) {
      internalError(error);
      if (!draining) timer = clock.setTimeout(safeWake, maxSleepMs);
    }
  }

  function dispatch(): void {
    for (const name of [...queue]) {
      if (draining) return;
      if (runningCount() >= options.concurrency) return;
      const entry = entries.get(name);
      if (!entry) continue;
      const ahead = queue.slice(0, queue.indexOf(name)).flatMap((n) => entries.get(n)?.pipeline ?? []);
      const running = [...entries.values()].flatMap((e) => e.current?.pipeline ?? []);
      const blockers = [...running, ...ahead].filter((o) => sharedDatasets(o, entry.pipeline).length > 0);
      if (blockers.length > 0) {
        if (!entry.waitCounted) {
          entry.waitCounted = true;
          options.observer?.runWaited(name, 'dataset');
          logger.info(
            { event: 'run-waiting', pipeline: name, blockedBy: blockers.map((b) => b.name) },
            `waits for ${blockers.map((b) => b.name).join(', ')} (shared dataset)`,
          );
        }
        continue;
      }
      queue.splice(queue.indexOf(name), 1);
      startRun(entry);
    }
  }

  function runningCount(): number {
    let n = 0;
    for (const e of entries.values()) if (e.state === 'running') n += 1;
    return n;
  }

  function startRun(entry: ServeEntry): void {
    const startedAt = clock.now();
    const runId = createRunId(startedAt);
    const runConfig = config;
    const reason = entry.catchUpPending ? 'catch-up' : 'schedule';
    entry.catchUpPending = false;
    entry.state = 'running';
    entry.current = { runId, startedAt, pipeline: entry.pipeline, config: runConfig };
    options.observer?.runStarted(entry.name);
    logRunEvent(
      logger,
      { type: 'run-start', pipeline: entry.name, runId, mode: 'apply', at: startedAt.toISOString() },
      configFields(runConfig, { reason }),
    );
    // Steps are logged under the service's run id; start, warnings and end come from finishRun.
    const onEvent = (event: RunEvent) => {
      if (event.type === 'step-end' || event.type === 'notification')
        logRunEvent(logger, { ...event, runId }, configFields(runConfig, {}));
    };
    const done = runOne(entry.name, { signal: stop.signal, config: runConfig, onEvent })
      .catch((error: unknown) => failedOutcome({ code: errorCode(error), message: String(error) }))
      .then((outcome) => finishRun(entry, outcome))
      .catch((error: unknown) => internalError(error));
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  }

  function finishRun(entry: ServeEntry, outcome: RunOutcome): void {
    const current = entry.current!;
    const finishedAt = clock.now();
    const durationMs = finishedAt.getTime() - current.startedAt.getTime();
    const extra = configFields(current.config, {
      recordId: outcome.recordId,
      ...(outcome.configFingerprint ? { configFingerprint: outcome.configFingerprint } : {}),
    });
    for (const w of outcome.warnings)
      logRunEvent(logger, { type: 'warning', pipeline: entry.name, runId: current.runId, ...w }, extra);
    logRunEvent(
      logger,
      {
        type: 'run-end',
        pipeline: entry.name,
        runId: current.runId,
        status: outcome.status,
        durationMs,
        counts: outcome.counts,
        ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
      },
      extra,
    );
    options.observer?.runEnded(entry.name, outcome, durationMs, finishedAt);
    if (outcome.error?.code === 'LOCK_HELD') options.observer?.runWaited(entry.name, 'lock-held');
    recordOutcome(entry, outcome, current, finishedAt);
    entry.current = undefined;
    entry.state = 'idle';
    if (!draining) entry.nextDue = planDueAfterRun(entry.schedule, { finishedAt, nextDue: entry.nextDue });
    if (entry.retired) entries.delete(entry.name);
    if (options.notify)
      deliverNotifications(
        options.notify,
        buildNotifications(entry.name, outcome, current, finishedAt),
        (n, error) =>
          logger.warn(
            { event: 'notify-failed', pipeline: n.pipeline, code: errorCode(error), kind: n.kind },
            'a notification could not be sent',
          ),
      );
    wake();
  }

  async function adopt(next: ServeConfig): Promise<void> {
    if (draining) return;
    const previousConfig = config;
    config = next;
    rank = rankOf(next.pipelines);
    const wanted = new Map(scheduled(next).map((p) => [p.name, p]));
    for (const entry of [...entries.values()]) {
      if (wanted.has(entry.name)) continue;
      const index = queue.indexOf(entry.name);
      if (index !== -1) queue.splice(index, 1);
      entry.nextDue = undefined;
      if (entry.state === 'running') entry.retired = true;
      else entries.delete(entry.name);
      logger.info(
        { event: 'pipeline-removed', pipeline: entry.name },
        `no longer scheduled (removed or disabled)${entry.state === 'running' ? '; its run in progress finishes' : ''}; its state and data are kept`,
      );
    }
    for (const pipeline of wanted.values()) {
      const entry = entries.get(pipeline.name);
      if (!entry) {
        logger.info({ event: 'pipeline-added', pipeline: pipeline.name }, 'added to the schedule');
        await addEntry(pipeline, true);
        continue;
      }
      const before = previousConfig.pipelines.find((p) => p.name === pipeline.name);
      entry.pipeline = pipeline;
      entry.retired = false;
      if (scheduleKey(before) === scheduleKey(pipeline)) continue;
      entry.schedule = compileSchedule(pipeline.schedule!);
      const now = clock.now();
      entry.nextDue =
        entry.state !== 'idle'
          ? entry.schedule.anchor === 'clock'
            ? entry.schedule.nextSlot(now)
            : undefined
          : planFirstDue(entry.schedule, { previous: entry.previous, now, catchUp: false }).due;
      logger.info(
        { event: 'schedule-changed', pipeline: pipeline.name, nextRun: entry.nextDue?.toISOString() },
        `schedule now ${pipeline.schedule!.description}`,
      );
    }
    wake();
  }

  return {
    async start() {
      for (const pipeline of config.pipelines) {
        if (!pipeline.enabled) logger.info({ event: 'not-scheduled', pipeline: pipeline.name }, 'disabled');
        else if (!pipeline.schedule)
          logger.info(
            { event: 'not-scheduled', pipeline: pipeline.name },
            'no schedule: runs only on ferry apply',
          );
      }
      for (const pipeline of orderPipelines(scheduled(config))) await addEntry(pipeline, true);
      wake();
    },
    adopt,
    async drain(reason, graceMs) {
      draining = true;
      clock.clearTimeout(timer);
      for (const name of queue.splice(0)) {
        const entry = entries.get(name);
        if (entry) entry.state = 'idle';
        logger.info({ event: 'run-not-started', pipeline: name }, `not started: stopping (${reason})`);
      }
      stop.abort(reason);
      if (inflight.size === 0) return { clean: true, stillRunning: [] };
      const running = [...entries.values()].filter((e) => e.state === 'running').map((e) => e.name);
      logger.info(
        { event: 'drain', running, graceMs },
        `${reason}: waiting up to ${Math.round(graceMs / 1000)} s for ${running.join(', ')} to stop at the next step`,
      );
      const result = await waitWithGrace(Promise.allSettled([...inflight]), clock, graceMs);
      const stillRunning = [...entries.values()].filter((e) => e.state === 'running').map((e) => e.name);
      return { clean: result === 'settled', stillRunning };
    },
    pipelines: () =>
      [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => snapshotEntry(e)),
    config: () => config,
  };
}

function rankOf(pipelines: readonly Pipeline[]): Map<string, number> {
  return new Map(orderPipelines(pipelines).map((p, i) => [p.name, i]));
}

function scheduleKey(pipeline: Pipeline | undefined): string {
  const s = pipeline?.schedule;
  if (!s) return '';
  return JSON.stringify([s.kind, s.kind === 'cron' ? s.cron : [s.everyMs, s.anchor], s.timezone, s.catchUp]);
}

function configFields(config: ServeConfig, more: Record<string, unknown>): Record<string, unknown> {
  return {
    configRevision: config.revision,
    ...(config.gitCommit ? { gitCommit: config.gitCommit } : {}),
    ...more,
  };
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}
