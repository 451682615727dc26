/**
 * The bucket half of `ferry check`: per bucket a connection uses, HeadBucket; per prefix a pipeline
 * reads or writes, ListObjectsV2 (max-keys 1, with the prefix: policies limit listing by prefix), a
 * GetObject of the first byte of an object found there, and — only when asked — a PutObject and
 * DeleteObject of a `.ferry-check-<uuid>` object in sink and state folders.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline, Project } from '../config/model.js';
import { isFerryError } from '../errors/ferry-error.js';
import { deleteObject } from '../io/s3/delete-object.js';
import { headBucket } from '../io/s3/head-bucket.js';
import { listObjectPages } from '../io/s3/list-objects.js';
import { putSmallObject } from '../io/s3/put-small-object.js';
import { readObjectRange } from '../io/s3/read-object-range.js';
import { collectS3Accesses } from '../plan/compile-policy.js';
import type { CheckItem, LocationRole } from '../plan/connection-check.js';

export interface BucketCheckOptions {
  locations: readonly CheckLocation[];
  writeTest?: boolean;
  signal?: AbortSignal;
}

export interface CheckLocation {
  bucket: string;
  prefix: string;
  role: LocationRole;
}

export function failure(error: unknown): Pick<CheckItem, 'detail' | 'code' | 'hint'> {
  if (!isFerryError(error)) throw error;
  return { detail: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
}

/** Every bucket and prefix the pipelines use through connection `name`, plus the requested buckets. */
export function locationsOf(
  options: {
    project: Project;
    pipelines: readonly Pipeline[];
    connection?: string;
    buckets?: readonly string[];
  },
  name: string,
): CheckLocation[] {
  const seen = new Map<string, CheckLocation>();
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

async function checkWrite(
  client: S3Client,
  name: string,
  location: CheckLocation,
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
  location: CheckLocation,
  options: BucketCheckOptions,
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

export async function checkBuckets(
  client: S3Client,
  name: string,
  options: BucketCheckOptions,
): Promise<CheckItem[]> {
  const locations = options.locations;
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
    const bucketItem = items.length - 1;
    for (const location of locations.filter((l) => l.bucket === bucket)) {
      items.push(...(await checkLocation(client, name, location, options)));
    }
    explainDeniedHead(items, bucketItem);
  }
  return items;
}

/** Credential failures that S3 names in an error body: a HEAD answer has no body to name them. */
const CREDENTIAL_CODES = new Set(['S3_INVALID_CREDENTIALS', 'S3_SIGNATURE_MISMATCH']);

/**
 * HeadBucket answers a request with unknown keys or a bad signature with a bare 403, which reads as
 * access denied (with a hint about IAM); the listing after it gets S3's own code in its body. When
 * that code says the credentials themselves are wrong, the bucket line says so too.
 */
function explainDeniedHead(items: CheckItem[], bucketItem: number): void {
  const head = items[bucketItem];
  if (head?.kind !== 'bucket' || head.code !== 'S3_ACCESS_DENIED') return;
  const named = items.slice(bucketItem + 1).find((i) => i.code !== undefined && CREDENTIAL_CODES.has(i.code));
  if (named?.code === undefined) return;
  items[bucketItem] = {
    ...head,
    code: named.code,
    detail: `HeadBucket was refused (403, no reason given); the listing says why: ${named.detail ?? ''}`,
    ...(named.hint === undefined ? {} : { hint: named.hint }),
  };
}
