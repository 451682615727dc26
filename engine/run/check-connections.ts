/**
 * `ferry check`: does each connection work for what the pipelines need, before a run finds out?
 * Like `dbt debug` / `sling conns test`, without writing data: the credentials resolve (secret
 * references, the AWS chain, an assumed role), each bucket answers HeadBucket, each prefix a
 * pipeline reads or writes can be listed (ListObjectsV2, max-keys 1, with the prefix, because
 * policies limit listing by prefix), the first object there can be read (GetObject, Range bytes=0-0),
 * and the server's clock (its Date header) agrees with this machine's. Write permission cannot be
 * seen without writing: it is "not tested" unless `writeTest` puts and deletes a
 * `.ferry-check-<uuid>` object in each sink and state folder (DeleteObject is not in ferry's policy
 * for sinks, so the delete may be refused: then the object is named for the user to remove).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Connection, Pipeline, Project } from '../config/model.js';
import { createS3Client } from '../io/s3/create-s3-client.js';
import { observeServerClock, serverClockSkew, type ServerClock } from '../io/s3/observe-server-clock.js';
import { resolveClientIdentity } from '../io/s3/resolve-client-identity.js';
import type { CheckItem, ConnectionCheck } from '../plan/connection-check.js';
import { checkBuckets, failure, locationsOf } from './check-bucket-access.js';
import { resolveConnection } from './resolve-connection.js';

export interface CheckConnectionsOptions {
  project: Project;
  pipelines: readonly Pipeline[];
  env: NodeJS.ProcessEnv;
  /** Only this connection. */
  connection?: string;
  /** More buckets to test through `connection` (listing and reading at the bucket root). */
  buckets?: readonly string[];
  /** Put and delete a test object in every sink and state folder. */
  writeTest?: boolean;
  /** This machine's clock (tests skew it). */
  now?: () => number;
  signal?: AbortSignal;
}

/** A skew below this is "in step"; S3 itself refuses signatures 15 minutes off. */
export const CLOCK_SKEW_WARNING_MS = 60_000;

function describeAuth(connection: Connection): string {
  const auth = connection.auth;
  const keys = (a: { accessKeyId: { ref: string }; secretAccessKey: { ref: string } }) =>
    `static keys ${a.accessKeyId.ref} / ${a.secretAccessKey.ref}`;
  switch (auth.kind) {
    case 'static':
      return keys(auth);
    case 'default':
      return 'the AWS credential chain';
    case 'assume_role':
      return `role ${auth.roleArn}, assumed with ${auth.source.kind === 'static' ? keys(auth.source) : 'the AWS credential chain'}`;
  }
}

/** The median skew of the answers: one odd answer (a proxy's, a cached one) does not decide. */
function medianSkewMs(clock: ServerClock): number | undefined {
  const skews = clock
    .samples()
    .map((sample) => serverClockSkew(sample).skewMs)
    .sort((a, b) => a - b);
  return skews.length === 0 ? undefined : skews[Math.floor(skews.length / 2)];
}

function clockItem(clock: ServerClock): CheckItem {
  const skewMs = medianSkewMs(clock);
  if (skewMs === undefined) {
    return { kind: 'clock', status: 'skipped', detail: 'not tested: no answer carried a Date header' };
  }
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  if (Math.abs(skewMs) < CLOCK_SKEW_WARNING_MS) {
    return {
      kind: 'clock',
      status: 'ok',
      detail: "the server's clock agrees with this machine's (within a minute)",
    };
  }
  const amount = seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
  return {
    kind: 'clock',
    status: 'warning',
    detail: `the server's clock is ${amount} ${skewMs > 0 ? 'ahead of' : 'behind'} this machine's`,
    code: 'CHECK_CLOCK_SKEW',
    hint: 'Synchronise this machine\u2019s clock (NTP): ferry names outputs and judges overdue files by it, and S3 refuses requests signed 15 minutes off (the AWS SDK corrects for that, other tools do not).',
  };
}

async function checkConnection(
  connection: Connection,
  options: CheckConnectionsOptions,
): Promise<ConnectionCheck> {
  const result: ConnectionCheck = {
    connection: connection.name,
    ...(connection.endpoint !== undefined ? { endpoint: connection.endpoint } : {}),
    auth: describeAuth(connection),
    items: [],
  };
  let client: S3Client;
  try {
    client = createS3Client(
      resolveConnection(connection, { env: options.env, projectDir: options.project.directory }),
    );
  } catch (error) {
    result.items.push({ kind: 'credentials', status: 'failed', ...failure(error) });
    return result;
  }
  try {
    const clock = observeServerClock(client, options.now);
    try {
      const identity = await resolveClientIdentity(client, connection.name);
      const expires = identity.expiration ? `, expire ${identity.expiration.toISOString()}` : '';
      result.items.push({
        kind: 'credentials',
        status: 'ok',
        detail: `resolve: access key …${identity.accessKeyIdEnd}${identity.temporary ? ' (temporary)' : ''}${expires}`,
      });
    } catch (error) {
      result.items.push({ kind: 'credentials', status: 'failed', ...failure(error) });
      return result;
    }
    const buckets = await checkBuckets(client, connection.name, {
      ...options,
      locations: locationsOf(options, connection.name),
    });
    result.items.push(clockItem(clock), ...buckets);
    return result;
  } finally {
    client.destroy();
  }
}

/** Checks every connection (or the one named), in name order. Never throws for what it finds. */
export async function checkConnections(options: CheckConnectionsOptions): Promise<ConnectionCheck[]> {
  const connections = Object.values(options.project.connections)
    .filter((c) => options.connection === undefined || c.name === options.connection)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const results: ConnectionCheck[] = [];
  for (const connection of connections) results.push(await checkConnection(connection, options));
  return results;
}
