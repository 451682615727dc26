/**
 * Sending a run's notifications. Called after a run has finished (and committed, when it succeeded):
 * by `ferry apply` after each pipeline and by `ferry serve` after each scheduled run. It never throws
 * and never changes the run's outcome: a notification that cannot be delivered is reported (and
 * logged by the caller), the committed run stays committed.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline, Project } from '../config/model.js';
import { isFerryError } from '../errors/ferry-error.js';
import type { Sleep } from './backoff.js';
import {
  compileNotifications,
  type CompiledNotification,
  type NotificationRoute,
  type RunResult,
} from './compile-notifications.js';
import type { NotifyEvent, NotifyEventKind } from './notify-event.js';
import { presignDownload } from './presign-download.js';
import type { HostResolver } from './resolve-target-address.js';
import { sendEmail } from './send-email.js';
import { sendWebhook } from './send-webhook.js';

export interface NotifyDeps {
  env: NodeJS.ProcessEnv;
  /** Where `${file:…}` references are read from: the project directory. */
  projectDir: string;
  /**
   * The S3 client of a connection, for presigned links (sink.notify). From run/:
   * `createS3Access(project, env).s3(name).client`. Without it, export links are reported as failed.
   */
  s3Client?: (connection: string) => S3Client;
  /** Tests: no real waiting between attempts. */
  sleep?: Sleep;
  now?: () => Date;
  resolveHost?: HostResolver;
  /** Each delivery's outcome as it happens (for logs and metrics). */
  onReport?: (report: NotifyReport) => void;
}

/** One delivery's outcome: names, codes and counts only (never a URL, an address or a secret). */
export interface NotifyReport {
  pipeline: string;
  runId: string;
  event: NotifyEventKind;
  target: string;
  targetKind: 'webhook' | 'smtp';
  ok: boolean;
  attempts: number;
  error?: { code: string; message: string };
}

function failure(error: unknown): { code: string; message: string } {
  if (isFerryError(error)) return { code: error.code, message: error.message };
  return { code: 'NOTIFY_FAILED', message: 'The notification could not be sent (unexpected error).' };
}

/** Sends one event to each route, all at once; resolves with one report per route. Never throws. */
export async function notifyRun(
  event: NotifyEvent,
  routes: readonly NotificationRoute[],
  deps: NotifyDeps,
): Promise<NotifyReport[]> {
  const reports = await Promise.all(
    routes.map(async (route): Promise<NotifyReport> => {
      const base = {
        pipeline: event.pipeline,
        runId: event.runId,
        event: event.kind,
        target: route.target.name,
        targetKind: route.target.kind,
      };
      try {
        const { attempts } =
          route.target.kind === 'webhook'
            ? await sendWebhook(route.target, event, deps)
            : await sendEmail(route.target, event, route.to ? { to: route.to } : {}, deps);
        return { ...base, ok: true, attempts };
      } catch (error) {
        const attempts =
          isFerryError(error) && typeof error.context['attempts'] === 'number'
            ? error.context['attempts']
            : 1;
        return { ...base, ok: false, attempts, error: failure(error) };
      }
    }),
  );
  for (const report of reports) deps.onReport?.(report);
  return reports;
}

/** Adds a presigned link to each output of an export's "email to" message. */
async function withLinks(
  notification: CompiledNotification,
  deps: NotifyDeps,
  now: Date,
): Promise<NotifyEvent> {
  const presign = notification.presign;
  if (!presign) return notification.event;
  if (!deps.s3Client) throw new Error('no S3 client to sign links with');
  const client = deps.s3Client(presign.connection);
  const outputs = [];
  for (const output of notification.event.outputs ?? []) {
    const link = await presignDownload(client, output, { expiresMs: presign.expiresMs, now });
    outputs.push({ ...output, presignedUrl: link.url, expiresAt: link.expiresAt });
  }
  return { ...notification.event, outputs };
}

/**
 * What `ferry apply` (after each pipeline) and `ferry serve` (after each run) call: compiles who hears
 * what from the pipeline's routes and the run's result, signs export links, sends. Never throws.
 */
export async function notifyAfterRun(
  input: { project: Project; pipeline: Pipeline; result: RunResult },
  deps: NotifyDeps,
): Promise<NotifyReport[]> {
  const now = (deps.now ?? (() => new Date()))();
  const reports: NotifyReport[] = [];
  let compiled: CompiledNotification[];
  try {
    compiled = compileNotifications(input.pipeline, input.project, input.result, { now });
  } catch {
    return reports; // a bug in compiling must not touch the run either
  }
  for (const notification of compiled) {
    let event: NotifyEvent;
    try {
      event = await withLinks(notification, deps, now);
    } catch (error) {
      const failed = notification.routes.map((route): NotifyReport => ({
        pipeline: notification.event.pipeline,
        runId: notification.event.runId,
        event: notification.event.kind,
        target: route.target.name,
        targetKind: route.target.kind,
        ok: false,
        attempts: 0,
        error: isFerryError(error)
          ? failure(error)
          : { code: 'NOTIFY_PRESIGN_FAILED', message: 'Could not sign the download links.' },
      }));
      for (const report of failed) deps.onReport?.(report);
      reports.push(...failed);
      continue;
    }
    reports.push(...(await notifyRun(event, notification.routes, deps)));
  }
  return reports;
}
