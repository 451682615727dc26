/**
 * Config connection → S3 client settings. This is the one place secret references are resolved,
 * right before a client is made; the values go to the SDK and nowhere else, and are registered with
 * the redactor (errors/redact-secrets.ts) so that a server echoing them cannot get them printed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Connection, SecretRef, StaticAuth } from '../config/model.js';
import { parseSingleReference } from '../config/interpolate-references.js';
import { FerryError } from '../errors/ferry-error.js';
import { registerSecret } from '../errors/redact-secrets.js';
import type { S3Auth, S3ConnectionSettings, S3StaticAuth } from '../io/s3/s3-connection.js';

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

type SecretContext = Parameters<typeof resolveSecret>[1];

function resolveStaticAuth(auth: StaticAuth, ctx: (field: string) => SecretContext): S3StaticAuth {
  return {
    kind: 'static',
    accessKeyId: resolveSecret(auth.accessKeyId, ctx('access_key_id')),
    secretAccessKey: resolveSecret(auth.secretAccessKey, ctx('secret_access_key')),
    ...(auth.sessionToken ? { sessionToken: resolveSecret(auth.sessionToken, ctx('session_token')) } : {}),
  };
}

/** A role session name from a connection name: ferry-<name>, within STS's 64 characters and alphabet. */
export function defaultRoleSessionName(connection: string): string {
  return `ferry-${connection}`.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, 64);
}

function resolveAuth(
  connection: Connection,
  ctx: (field: string) => SecretContext,
  sessionName: string | undefined,
): S3Auth {
  const auth = connection.auth;
  switch (auth.kind) {
    case 'default':
      return auth;
    case 'static':
      return resolveStaticAuth(auth, ctx);
    case 'assume_role':
      return {
        kind: 'assume_role',
        roleArn: auth.roleArn,
        ...(auth.externalId !== undefined ? { externalId: auth.externalId } : {}),
        sessionName: auth.sessionName ?? sessionName ?? defaultRoleSessionName(connection.name),
        durationSeconds: auth.durationSeconds,
        source:
          auth.source.kind === 'static'
            ? resolveStaticAuth(auth.source, (field) => ctx(`source.${field}`))
            : auth.source,
        ...(auth.stsEndpoint !== undefined ? { stsEndpoint: auth.stsEndpoint } : {}),
        ...(auth.stsRegion !== undefined ? { stsRegion: auth.stsRegion } : {}),
        allowCustomEndpoint: auth.allowCustomEndpoint,
      };
  }
}

export function resolveConnection(
  connection: Connection,
  /** `sessionName`: the assumed-role session name when the connection sets none (ferry-<connection>). */
  context: { env: NodeJS.ProcessEnv; projectDir: string; sessionName?: string },
): S3ConnectionSettings {
  const ctx = (field: string) => ({
    env: context.env,
    projectDir: context.projectDir,
    connection: connection.name,
    field,
  });
  const auth = resolveAuth(connection, ctx, context.sessionName);
  if (connection.auth.kind !== 'static') {
    // The SDK reads these itself. The clients register whatever their provider resolves
    // (io/s3/register-credentials.ts); these are registered too, before any client exists.
    for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) registerSecret(context.env[name]);
  }
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
