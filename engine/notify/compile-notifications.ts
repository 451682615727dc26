/**
 * Which targets hear what after a run: pure, from the pipeline's routes (its own `notify`, else
 * ferry.yaml's `defaults.notify`), the run's result and the clock.
 *
 * - a failed run (`status: error`) → `failure` to on_failure;
 * - a run that committed work (`status: changes`) → `success` to on_success, and, for an S3 sink
 *   with `notify` ("email to"), a `success` email with a presigned link to each written file;
 * - a `SEQUENCE_OVERDUE` warning → `stale` to on_stale (default: the on_failure targets).
 * A run with nothing to do sends no success message (a schedule every hour would otherwise mail
 * every hour); disabled pipelines send nothing. Two failures are not the pipeline's and send nothing:
 * LOCK_HELD (another run of it is doing the work) and RUN_INTERRUPTED (ferry was stopped — a
 * container restart — and the next run finishes the work).
 */
import type { NotificationTarget, NotifyRoutes, Pipeline, Project } from '../config/model.js';
import type { PipelinePlan } from '../plan/plan-model.js';
import { NOTIFY_EVENT_VERSION, type NotifyEvent, type NotifyEventKind } from './notify-event.js';

export interface NotificationRoute {
  target: NotificationTarget;
  /** Email recipients instead of the target's own `to` (sink.notify.to). */
  to?: string[];
}

export interface CompiledNotification {
  event: NotifyEvent;
  routes: NotificationRoute[];
  /** Presign a download link for each output before sending (sink.notify). */
  presign?: { connection: string; expiresMs: number };
}

/** The run result fields notifications use (a PipelinePlan, or a skeleton of one). */
export type RunResult = Pick<
  PipelinePlan,
  'pipeline' | 'runId' | 'status' | 'counts' | 'outputs' | 'warnings' | 'error'
>;

const NO_ROUTES: NotifyRoutes = { onFailure: [], onSuccess: [], onStale: [] };
/** Failures that are not the pipeline's: see the header. */
export const QUIET_FAILURES: ReadonlySet<string> = new Set(['LOCK_HELD', 'RUN_INTERRUPTED']);

export function compileNotifications(
  pipeline: Pipeline,
  project: Project,
  result: RunResult,
  options: { now: Date },
): CompiledNotification[] {
  if (result.status === 'disabled') return [];
  const routes = pipeline.notify ?? project.notifyDefaults ?? NO_ROUTES;
  const targets = (names: readonly string[]): NotificationRoute[] =>
    names.flatMap((name) => {
      const target = project.notifications?.[name];
      return target ? [{ target }] : [];
    });
  const event = (kind: NotifyEventKind, extra: Partial<NotifyEvent> = {}): NotifyEvent => ({
    version: NOTIFY_EVENT_VERSION,
    kind,
    pipeline: result.pipeline,
    runId: result.runId,
    counts: { ...result.counts },
    ...extra,
    at: options.now.toISOString(),
  });
  const out: CompiledNotification[] = [];
  const add = (notification: CompiledNotification) => {
    if (notification.routes.length) out.push(notification);
  };

  if (result.status === 'error' && !QUIET_FAILURES.has(result.error?.code ?? '')) {
    const error = result.error ?? { code: 'INTERNAL', message: 'The run failed.' };
    add({
      event: event('failure', { error: { code: error.code, message: error.message } }),
      routes: targets(routes.onFailure),
    });
  }
  if (result.status === 'changes') {
    const outputs = result.outputs.map((o) => ({ bucket: o.bucket, key: o.key }));
    add({ event: event('success', { outputs }), routes: targets(routes.onSuccess) });
    const sink = pipeline.sink;
    const via = sink.kind === 's3' && sink.notify ? project.notifications?.[sink.notify.via] : undefined;
    if (sink.kind === 's3' && sink.notify && via?.kind === 'smtp' && outputs.length) {
      add({
        event: event('success', { outputs }),
        routes: [{ target: via, to: [...sink.notify.to] }],
        presign: { connection: sink.connection, expiresMs: sink.notify.linkExpiresMs },
      });
    }
  }
  const overdue = result.warnings.find((w) => w.code === 'SEQUENCE_OVERDUE');
  if (overdue) {
    add({
      event: event('stale', { stale: { code: overdue.code, message: overdue.message } }),
      routes: targets(routes.onStale),
    });
  }
  return out;
}
