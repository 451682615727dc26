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
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Connection, Pipeline, Project } from '../config/model.js';
import { isFerryError } from '../errors/ferry-error.js';
import { createS3Client } from '../io/s3/create-s3-client.js';
import { deleteObject } from '../io/s3/delete-object.js';
import { headBucket } from '../io/s3/head-bucket.js';
import { listObjectPages } from '../io/s3/list-objects.js';
import { observeServerClock, serverClockSkew, type ServerClock } from '../io/s3/observe-server-clock.js';
import { putSmallObject } from '../io/s3/put-small-object.js';
import { readObjectRange } from '../io/s3/read-object-range.js';
import { resolveClientIdentity } from '../io/s3/resolve-client-identity.js';
import { collectS3Accesses } from '../plan/compile-policy.js';
import type { CheckItem, ConnectionCheck, LocationRole } from '../plan/connection-check.js';
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

interface Location {
  bucket: string;
  prefix: string;
  role: LocationRole;
}

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

function failure(error: unknown): Pick<CheckItem, 'detail' | 'code' | 'hint'> {
  if (!isFerryError(error)) throw error;
  return { detail: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
}

function locationsOf(options: CheckConnectionsOptions, name: string): Location[] {
  const seen = new Map<string, Location>();
  for (const access of collectS3Accesses(options.project, options.pipelines)) {
    if (access.connection !== name) continue;
    const location = { bucket: access.bucket, prefix: access.prefix, role: access.kind };
    seen.set(`${location.bucket}\u0000${location.prefix}\u0000${location.role}`, location);
  }
  if (options.connection === name) {
    for (const bucket of options.buckets ?? [])
      seen.set(`${bucket}\u0000\u0000requested`, { bucket, prefix: '', role: 'requested' });
  }
  return [...seen.values()].sort((a, b) =>
    a.bucket !== b.bucket
      ? a.bucket < b.bucket
        ? -1
        : 1
      : a.prefix !== b.prefix
        ? a.prefix < b.prefix
          ? -1
          : 1
        : a.role < b.role
          ? -1
          : 1,
  );
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

async function checkWrite(
  client: S3Client,
  name: string,
  location: Location,
  signal: AbortSignal | undefined,
): Promise<CheckItem> {
  const at = { bucket: location.bucket, prefix: location.prefix, role: location.role };
  const key = `${location.prefix}.ferry-check-${randomUUID()}`;
  try {
    await putSmallObject(client, {
      connection: name,
      bucket: location.bucket,
      key,
      body: Buffer.from('ferry check\n'),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    return { kind: 'write', status: 'failed', ...at, ...failure(error) };
  }
  try {
    await deleteObject(client, { connection: name, bucket: location.bucket, key });
  } catch (error) {
    return {
      kind: 'write',
      status: 'warning',
      ...at,
      detail: `wrote s3://${location.bucket}/${key}, but could not delete it: ${failure(error).detail}`,
      code: 'CHECK_WRITE_TEST_LEFT_OBJECT',
      hint: `ferry's policy grants no s3:DeleteObject in sink folders; remove s3://${location.bucket}/${key} yourself.`,
    };
  }
  return { kind: 'write', status: 'ok', ...at, detail: `PutObject and DeleteObject of ${key}` };
}

async function checkLocation(
  client: S3Client,
  name: string,
  location: Location,
  options: CheckConnectionsOptions,
): Promise<CheckItem[]> {
  const at = { bucket: location.bucket, prefix: location.prefix, role: location.role };
  const signal = options.signal;
  const items: CheckItem[] = [];
  let firstKey: string | undefined;
  let listed = false;
  try {
    for await (const page of listObjectPages(client, {
      connection: name,
      bucket: location.bucket,
      prefix: location.prefix,
      maxKeysPerPage: 1,
      ...(signal ? { signal } : {}),
    })) {
      firstKey = page.find((o) => !o.key.endsWith('/'))?.key;
      break;
    }
    listed = true;
    items.push({
      kind: 'list',
      status: 'ok',
      ...at,
      detail: firstKey === undefined ? 'ListObjectsV2: nothing there yet' : 'ListObjectsV2: objects found',
    });
  } catch (error) {
    items.push({ kind: 'list', status: 'failed', ...at, ...failure(error) });
  }
  if (firstKey === undefined) {
    const why = listed ? 'no object to read' : 'the listing failed, so no object is known';
    items.push({ kind: 'read', status: 'skipped', ...at, detail: `not tested: ${why}` });
  } else {
    try {
      await readObjectRange(client, {
        connection: name,
        bucket: location.bucket,
        key: firstKey,
        start: 0,
        end: 0,
        ...(signal ? { signal } : {}),
      });
      items.push({ kind: 'read', status: 'ok', ...at, detail: `GetObject bytes=0-0 of ${firstKey}` });
    } catch (error) {
      items.push({ kind: 'read', status: 'failed', ...at, ...failure(error) });
    }
  }
  if (location.role === 'sink' || location.role === 'state') {
    items.push(
      options.writeTest === true
        ? await checkWrite(client, name, location, signal)
        : {
            kind: 'write',
            status: 'skipped',
            ...at,
            detail:
              'not tested: only a write shows it (--write-test puts and deletes a .ferry-check-<uuid> object)',
          },
    );
  }
  return items;
}

async function checkBuckets(
  client: S3Client,
  name: string,
  options: CheckConnectionsOptions,
): Promise<CheckItem[]> {
  const locations = locationsOf(options, name);
  if (locations.length === 0) {
    return [
      {
        kind: 'bucket',
        status: 'skipped',
        detail: 'no pipeline uses this connection: pass --connection NAME --bucket BUCKET to test one',
      },
    ];
  }
  const items: CheckItem[] = [];
  for (const bucket of [...new Set(locations.map((l) => l.bucket))]) {
    try {
      await headBucket(client, {
        connection: name,
        bucket,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      items.push({
        kind: 'bucket',
        status: 'ok',
        bucket,
        detail: 'HeadBucket: it exists and these credentials may use it',
      });
    } catch (error) {
      items.push({ kind: 'bucket', status: 'failed', bucket, ...failure(error) });
      if (isFerryError(error) && error.code === 'S3_NO_SUCH_BUCKET') continue;
    }
    for (const location of locations.filter((l) => l.bucket === bucket)) {
      items.push(...(await checkLocation(client, name, location, options)));
    }
  }
  return items;
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
    const buckets = await checkBuckets(client, connection.name, options);
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
