/**
 * What a notification says: one run of one pipeline, in names, counts and codes. It is built from the
 * run's result (a PipelinePlan), never from configuration values, so it cannot carry a secret. The
 * webhook body is this object as JSON; emails are rendered from it (render-notification-email.ts).
 */

/** Bumped when a field changes meaning; receivers can check it. */
export const NOTIFY_EVENT_VERSION = 1;

export type NotifyEventKind = 'failure' | 'success' | 'stale';

export interface NotifyOutput {
  bucket: string;
  key: string;
  /** Only in an export's "email to" message (sink.notify), never in webhooks or logs. */
  presignedUrl?: string;
  /** When the presigned link stops working (ISO 8601). */
  expiresAt?: string;
}

export interface NotifyEvent {
  version: typeof NOTIFY_EVENT_VERSION;
  kind: NotifyEventKind;
  pipeline: string;
  runId: string;
  /** The run's counts (files matched/new, rows read/rejected/added/changed/removed, objects written…). */
  counts: Record<string, number>;
  /** failure: the run's error code and message (messages never hold credentials). */
  error?: { code: string; message: string };
  /** success: the objects the run wrote. */
  outputs?: NotifyOutput[];
  /** stale: why the pipeline is stale (SEQUENCE_OVERDUE's message). */
  stale?: { code: string; message: string };
  /** When the notification was made (ISO 8601). */
  at: string;
}
