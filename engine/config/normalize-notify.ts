/**
 * Notification settings → one form: ferry.yaml `notifications` (webhook and SMTP targets) and
 * `defaults.notify`, a pipeline's `notify` routes and an S3 sink's `notify` ("email to" with a
 * presigned link). Secrets stay references (SecretRef); webhook header values stay as written
 * (the schema marks `headers` secret, so interpolation left them alone): both are resolved only
 * when a notification is sent (engine/notify). Defaults mirror the schema's `default` keywords.
 */
import { joinPointer } from './locate-pointer.js';
import type { ExportNotify, NotificationTarget, NotifyRoutes } from './model.js';
import { parseDuration } from './parse-duration.js';
import type { ExportNotify as ExportNotifySpec } from './pipeline-spec.gen.js';
import type { NotificationTarget as NotificationTargetSpec } from './project-spec.gen.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 3;
export const DEFAULT_SMTP_PORT = 587;
export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;
export const DEFAULT_LINK_EXPIRES_MS = 24 * 3_600_000;
/** SigV4 presigned URLs live at most 7 days. */
export const MAX_LINK_EXPIRES_MS = 7 * 24 * 3_600_000;

/** The routes as written in YAML (pipeline.schema and ferry.schema both define this shape). */
interface NotifyRoutesSpec {
  on_failure?: string[];
  on_success?: string[];
  on_stale?: string[];
}

export function normalizeNotifyRoutes(spec: NotifyRoutesSpec): NotifyRoutes {
  const onFailure = [...(spec.on_failure ?? [])];
  return {
    onFailure,
    onSuccess: [...(spec.on_success ?? [])],
    onStale: [...(spec.on_stale ?? onFailure)],
  };
}

export function normalizeExportNotify(spec: ExportNotifySpec): ExportNotify {
  return {
    to: [...spec.to],
    via: spec.via,
    linkExpiresMs:
      (spec.link_expires === undefined ? undefined : parseDuration(spec.link_expires)) ??
      DEFAULT_LINK_EXPIRES_MS,
  };
}

export function normalizeNotificationTargets(
  spec: Record<string, NotificationTargetSpec | undefined> | undefined,
  file: string,
): Record<string, NotificationTarget> {
  const targets: Record<string, NotificationTarget> = {};
  for (const [name, t] of Object.entries(spec ?? {})) {
    if (!t) continue;
    const origin = { file, pointer: joinPointer(['notifications', name]) };
    if (t.kind === 'webhook') {
      const headers: Record<string, string> = {};
      for (const [header, value] of Object.entries(t.headers ?? {}))
        if (value !== undefined) headers[header] = value;
      targets[name] = {
        kind: 'webhook',
        name,
        url: t.url,
        headers,
        ...(t.secret !== undefined ? { secret: { ref: t.secret } } : {}),
        timeoutMs: t.timeout_ms ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
        maxAttempts: t.max_attempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS,
        origin,
      };
    } else {
      targets[name] = {
        kind: 'smtp',
        name,
        host: t.host,
        port: t.port ?? DEFAULT_SMTP_PORT,
        secure: t.secure ?? false,
        starttls: t.starttls ?? 'required',
        tlsRejectUnauthorized: t.tls_reject_unauthorized ?? true,
        ...(t.username !== undefined ? { username: t.username } : {}),
        ...(t.password !== undefined ? { password: { ref: t.password } } : {}),
        from: t.from,
        to: [...(t.to ?? [])],
        timeoutMs: t.timeout_ms ?? DEFAULT_SMTP_TIMEOUT_MS,
        origin,
      };
    }
  }
  return targets;
}
