/**
 * What the service tells the outside while it runs, besides logs: an observer (metrics) and a
 * notification hook. Notifications (webhook, email) are built on `Notify`; the service calls it
 * after every run (success or failure) and when a run warns that its source is stale.
 */
import type { RunOutcome, ServeConfig } from './run-one.js';

export type ServeNotification =
  | {
      kind: 'success' | 'failure';
      pipeline: string;
      runId: string;
      /** Where the engine recorded the run (state/pipelines/<name>/runs/<recordId>.json). */
      recordId: string;
      status: RunOutcome['status'];
      startedAt: string;
      finishedAt: string;
      durationMs: number;
      counts: Record<string, number>;
      error?: { code: string; message: string; hint?: string; location?: string };
      configRevision: string;
      gitCommit?: string;
    }
  | {
      kind: 'stale';
      pipeline: string;
      runId: string;
      code: string;
      message: string;
      at: string;
    };

/** Called without waiting; a failing notifier is logged and never stops the service. */
export type Notify = (notification: ServeNotification) => void | Promise<void>;

/** Warning codes that mean "the source is stale" (a sequence file is overdue). */
export const STALE_WARNING_CODES: ReadonlySet<string> = new Set(['SEQUENCE_OVERDUE']);

export interface ServeObserver {
  runStarted(pipeline: string): void;
  runEnded(pipeline: string, outcome: RunOutcome, durationMs: number, finishedAt: Date): void;
  runSkipped(pipeline: string, reason: 'overlap'): void;
  /** A due run had to wait: for a dataset another pipeline writes or reads, or for a lock. */
  runWaited(pipeline: string, reason: 'dataset' | 'lock-held'): void;
  /** At start: the last successful run recorded in state. */
  previousSuccess(pipeline: string, finishedAt: Date): void;
}

/** The notifications one finished run calls for: success or failure, and stale sources. */
export function buildNotifications(
  pipeline: string,
  outcome: RunOutcome,
  run: { runId: string; startedAt: Date; config: ServeConfig },
  finishedAt: Date,
): ServeNotification[] {
  const { runId, config } = run;
  return [
    {
      kind: outcome.status === 'failed' ? 'failure' : 'success',
      pipeline,
      runId,
      recordId: outcome.recordId,
      status: outcome.status,
      startedAt: run.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - run.startedAt.getTime(),
      counts: outcome.counts,
      ...(outcome.error ? { error: outcome.error } : {}),
      configRevision: config.revision,
      ...(config.gitCommit ? { gitCommit: config.gitCommit } : {}),
    },
    ...outcome.warnings
      .filter((w) => STALE_WARNING_CODES.has(w.code))
      .map((w): ServeNotification => ({
        kind: 'stale',
        pipeline,
        runId,
        code: w.code,
        message: w.message,
        at: finishedAt.toISOString(),
      })),
  ];
}

/** Calls the hook for each notification without waiting; a failure goes to `onError`. */
export function deliverNotifications(
  notify: Notify,
  notifications: readonly ServeNotification[],
  onError: (notification: ServeNotification, error: unknown) => void,
): void {
  for (const notification of notifications) {
    Promise.resolve()
      .then(() => notify(notification))
      .catch((error: unknown) => onError(notification, error));
  }
}
