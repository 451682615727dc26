/** The service's per-pipeline bookkeeping, and the JSON `/status` shows of it. */
import type { Pipeline } from '../config/model.js';
import { formatScheduledTime } from '../plan/next-runs.js';
import type { CompiledSchedule } from '../schedule/compile-schedule.js';
import type { PreviousRun } from '../schedule/plan-due-runs.js';
import type { RunOutcome, ServeConfig } from './run-one.js';

export interface LastRunStatus {
  runId: string;
  recordId: string;
  status: RunOutcome['status'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: Record<string, number>;
  configRevision: string;
  gitCommit?: string;
  error?: RunOutcome['error'];
}

export interface ServeEntry {
  name: string;
  /** The configuration the next run will use. */
  pipeline: Pipeline;
  schedule: CompiledSchedule;
  nextDue: Date | undefined;
  state: 'idle' | 'queued' | 'running';
  /** The next start is a catch-up after downtime. */
  catchUpPending: boolean;
  /** The wait of the current queued run was counted already. */
  waitCounted?: boolean;
  /** Removed from the configuration while running: forgotten when the run ends. */
  retired?: boolean;
  current?: { runId: string; startedAt: Date; pipeline: Pipeline; config: ServeConfig } | undefined;
  previous?: PreviousRun;
  lastRun?: LastRunStatus;
  lastSuccessAt?: string;
  lastError?: { code: string; message: string; hint?: string; location?: string; at: string };
}

export interface PipelineStatus {
  name: string;
  schedule: string;
  timezone: string;
  state: ServeEntry['state'];
  nextRun: string | null;
  /** The next run in the schedule's zone, with UTC: "2026-03-30 06:00 (04:00 UTC)". */
  nextRunLocal: string | null;
  currentRun: { runId: string; startedAt: string } | null;
  lastRun: LastRunStatus | null;
  lastSuccessAt: string | null;
  lastError: ServeEntry['lastError'] | null;
}

export function snapshotEntry(entry: ServeEntry): PipelineStatus {
  const next = entry.nextDue?.toISOString() ?? null;
  return {
    name: entry.name,
    schedule: entry.pipeline.schedule?.description ?? '',
    timezone: entry.schedule.timezone,
    state: entry.state,
    nextRun: next,
    nextRunLocal: next ? formatScheduledTime(next, entry.schedule.timezone) : null,
    currentRun: entry.current
      ? { runId: entry.current.runId, startedAt: entry.current.startedAt.toISOString() }
      : null,
    lastRun: entry.lastRun ?? null,
    lastSuccessAt: entry.lastSuccessAt ?? null,
    lastError: entry.lastError ?? null,
  };
}

/** Books a finished run on its entry: previous-run times, last run, last success or last error. */
export function recordOutcome(
  entry: ServeEntry,
  outcome: RunOutcome,
  run: { runId: string; startedAt: Date; config: ServeConfig },
  finishedAt: Date,
): void {
  entry.previous = { startedAt: run.startedAt, finishedAt };
  entry.lastRun = {
    runId: run.runId,
    recordId: outcome.recordId,
    status: outcome.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - run.startedAt.getTime(),
    counts: outcome.counts,
    configRevision: run.config.revision,
    ...(run.config.gitCommit ? { gitCommit: run.config.gitCommit } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  };
  if (outcome.status === 'failed')
    entry.lastError = {
      ...(outcome.error ?? { code: 'INTERNAL', message: 'failed' }),
      at: finishedAt.toISOString(),
    };
  else entry.lastSuccessAt = finishedAt.toISOString();
}
