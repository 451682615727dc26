/**
 * Config connection → S3 client settings. This is the one place secret references are resolved,
 * right before a client is made; the values go to the SDK and nowhere else, and are registered with
 * the redactor (errors/redact-secrets.ts) so that a server echoing them cannot get them printed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Connection, SecretRef } from '../config/model.js';
import { parseSingleReference } from '../config/interpolate-references.js';
import { FerryError } from '../errors/ferry-error.js';
import { registerSecret } from '../errors/redact-secrets.js';
import type { S3ConnectionSettings } from '../io/s3/s3-connection.js';

export function resolveSecret(
  secret: SecretRef,
  context: { env: NodeJS.ProcessEnv; projectDir: string; connection: string; field: string },
): string {
  const ref = parseSingleReference(secret.ref);
  let value: string | undefined;
  if (ref?.kind === 'env') value = context.env[ref.name];
  else if (ref?.kind === 'file') {
    try {
      value = readFileSync(resolve(context.projectDir, ref.name), 'utf8').replace(/\r?\n$/, '');
    } catch {
      value = undefined;
    }
  }
  if (value === undefined || value === '') {
    throw new FerryError(
      'SECRET_UNRESOLVED',
      `Connection "${context.connection}": ${context.field} refers to ${secret.ref}, which is ${ref?.kind === 'file' ? 'not readable' : 'not set'}.`,
      {
        context: { connection: context.connection },
        hint:
          ref?.kind === 'file'
            ? 'Check the file path and its permissions.'
            : `Set the environment variable ${ref?.name ?? ''} for this run.`,
      },
    );
  }
  registerSecret(value);
  return value;
}

export function resolveConnection(
  connection: Connection,
  context: { env: NodeJS.ProcessEnv; projectDir: string },
): S3ConnectionSettings {
  const ctx = (field: string) => ({ ...context, connection: connection.name, field });
  if (connection.auth.kind !== 'static') {
    // The SDK reads these itself; an endpoint that echoes them must not get them printed either.
    for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) registerSecret(context.env[name]);
  }
  const auth: S3ConnectionSettings['auth'] =
    connection.auth.kind === 'static'
      ? {
          kind: 'static',
          accessKeyId: resolveSecret(connection.auth.accessKeyId, ctx('access_key_id')),
          secretAccessKey: resolveSecret(connection.auth.secretAccessKey, ctx('secret_access_key')),
          ...(connection.auth.sessionToken
            ? { sessionToken: resolveSecret(connection.auth.sessionToken, ctx('session_token')) }
            : {}),
        }
      : connection.auth;
  return {
    name: connection.name,
    region: connection.region,
    ...(connection.endpoint !== undefined ? { endpoint: connection.endpoint } : {}),
    forcePathStyle: connection.forcePathStyle,
    checksumMode: connection.checksum,
    auth,
    connectTimeoutMs: connection.connectTimeoutMs,
    requestTimeoutMs: connection.requestTimeoutMs,
    bodyIdleTimeoutMs: connection.bodyIdleTimeoutMs,
    maxAttempts: connection.maxAttempts,
  };
}
