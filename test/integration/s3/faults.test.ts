import { randomBytes, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { downloadObject, type DownloadObjectOptions } from '../../../engine/io/s3/download-object.js';
import { listObjects } from '../../../engine/io/s3/list-objects.js';
import { SMALL_BODY_BYTES } from '../../../engine/io/s3/read-small-body.js';
import type { S3ConnectionSettings } from '../../../engine/io/s3/s3-connection.js';
import { createRunTempDir, type RunTempDir } from '../../../engine/io/temp-dir.js';
import { filesIn } from '../../harness/files-in.js';
import { startFaultProxy, type FaultProxy, type FaultRuleSpec } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

/** Small limits so that hangs end fast; the assertions below check they really do. */
const FAST_LIMITS = {
  connectTimeoutMs: 500,
  requestTimeoutMs: 500,
  bodyIdleTimeoutMs: 500,
  maxAttempts: 3,
} satisfies Partial<S3ConnectionSettings>;
const DEADLINE_MS = 10_000;
/** Read into memory whole (read-small-body.ts); LARGE_OBJECT_BYTES takes the streaming path. */
const OBJECT_BYTES = 64 * 1024;
const LARGE_OBJECT_BYTES = SMALL_BODY_BYTES + 64 * 1024;

let server: S3TestServer;
let proxy: FaultProxy;
let temp: RunTempDir;
const clients: S3Client[] = [];

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  temp = await createRunTempDir({ runId: 'faults-test' });
});

afterEach(async () => {
  proxy.clearRules();
  await temp.cleanup();
});

/** A fresh client through the proxy per test, so the SDK's retry quota is not shared between tests. */
function proxiedClient(): S3Client {
  const client = createS3Client(createTestConnection({ endpoint: proxy.endpoint, ...FAST_LIMITS }));
  clients.push(client);
  return client;
}

interface Fixture {
  bucket: string;
  key: string;
  content: Buffer;
  download: (extra?: Partial<DownloadObjectOptions>) => ReturnType<typeof downloadObject>;
}

/** A bucket with one object, put directly into s3rver (not through the proxy). */
async function fixture(label: string, bytes = OBJECT_BYTES): Promise<Fixture> {
  const bucket = uniqueBucket(label);
  const key = `in/${label}.bin`;
  const content = randomBytes(bytes);
  await server.createBucket(bucket);
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }));
  const client = proxiedClient();
  return {
    bucket,
    key,
    content,
    download: (extra = {}) =>
      downloadObject(client, {
        connection: 'test-s3',
        bucket,
        key,
        destPath: join(temp.path, 'object.bin'),
        bodyIdleTimeoutMs: FAST_LIMITS.bodyIdleTimeoutMs,
        maxAttempts: 3,
        ...extra,
      }),
  };
}

function getRule(f: Fixture, fault: FaultRuleSpec['fault'], times?: number): FaultRuleSpec {
  return {
    match: { method: 'GET', bucket: f.bucket, key: f.key },
    fault,
    ...(times === undefined ? {} : { times }),
  };
}

async function catchFerryError(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a FerryError, but the call succeeded');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('retried faults', () => {
  it('503 SlowDown twice, then OK: succeeds after 3 requests', async () => {
    const f = await fixture('slowdown');
    const rule = proxy.addRule(getRule(f, { kind: 'status', status: 503, code: 'SlowDown' }, 2));
    const result = await f.download();
    expect(result.sha256).toBe(sha256(f.content));
    expect(rule.hits).toBe(2);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
  });

  it('429 once, then OK: succeeds after 2 requests', async () => {
    const f = await fixture('too-many');
    proxy.addRule(getRule(f, { kind: 'status', status: 429, code: 'TooManyRequests' }, 1));
    const result = await f.download();
    expect(result.size).toBe(OBJECT_BYTES);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(2);
  });

  it('connection reset before the response twice, then OK: succeeds after 3 requests', async () => {
    const f = await fixture('reset');
    proxy.addRule(getRule(f, { kind: 'reset' }, 2));
    const result = await f.download();
    expect(result.sha256).toBe(sha256(f.content));
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
  });

  it('a body truncated once is fetched again and the result is byte-identical', async () => {
    const f = await fixture('truncate-once');
    const rule = proxy.addRule(getRule(f, { kind: 'truncate', afterBytes: 1_000 }, 1));
    const destPath = join(temp.path, 'object.bin');
    const result = await f.download({ destPath, expectedSize: OBJECT_BYTES });
    expect(result).toMatchObject({ path: destPath, size: OBJECT_BYTES, sha256: sha256(f.content) });
    expect(rule.hits).toBe(1);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(2);
    expect(await filesIn(temp.path)).toEqual(['object.bin']);
  });
});

describe('the streaming path (a body over SMALL_BODY_BYTES) has the same checks', () => {
  it('a body truncated once is fetched again and the result is byte-identical', async () => {
    const f = await fixture('large-truncate-once', LARGE_OBJECT_BYTES);
    const rule = proxy.addRule(getRule(f, { kind: 'truncate', afterBytes: 100_000 }, 1));
    const destPath = join(temp.path, 'object.bin');
    const result = await f.download({ destPath, expectedSize: LARGE_OBJECT_BYTES });
    expect(result).toMatchObject({ path: destPath, size: LARGE_OBJECT_BYTES, sha256: sha256(f.content) });
    expect(result.head).toEqual(f.content.subarray(0, 16));
    expect(result.bytes).toBeUndefined();
    expect(rule.hits).toBe(1);
    expect(await filesIn(temp.path)).toEqual(['object.bin']);
  });

  it('a body truncated every time: S3_DOWNLOAD_TRUNCATED, and no file is left', async () => {
    const f = await fixture('large-truncate-always', LARGE_OBJECT_BYTES);
    proxy.addRule(getRule(f, { kind: 'truncate', afterBytes: 100_000 }));
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_DOWNLOAD_TRUNCATED');
    expect(error.context).toMatchObject({
      attempts: 3,
      bytesReceived: 100_000,
      bytesExpected: LARGE_OBJECT_BYTES,
    });
    expect(await filesIn(temp.path)).toEqual([]);
  });

  it('a stalled body ends with S3_TIMEOUT', async () => {
    const f = await fixture('large-stall', LARGE_OBJECT_BYTES);
    proxy.addRule(getRule(f, { kind: 'stall', afterBytes: 100_000 }));
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_TIMEOUT');
    expect(error.context).toMatchObject({ attempts: 3, bytesReceived: 100_000 });
  });
});

describe('a small body is read into memory and written whole', () => {
  it('returns its bytes and head, and leaves only the file', async () => {
    const f = await fixture('small-whole');
    const destPath = join(temp.path, 'object.bin');
    const result = await f.download({ destPath, expectedSize: OBJECT_BYTES });
    expect(result.bytes).toEqual(f.content);
    expect(result.head).toEqual(f.content.subarray(0, 16));
    expect(await readFile(destPath)).toEqual(f.content);
    expect(await filesIn(temp.path)).toEqual(['object.bin']);
  });
});

describe('faults that end the call', () => {
  it('500 forever: S3_SERVER_ERROR after exactly maxAttempts requests, naming bucket, key and operation', async () => {
    const f = await fixture('internal');
    proxy.addRule(getRule(f, { kind: 'status', status: 500, code: 'InternalError' }));
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_SERVER_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.context).toMatchObject({
      operation: 'GetObject',
      bucket: f.bucket,
      key: f.key,
      connection: 'test-s3',
      httpStatus: 500,
      awsErrorName: 'InternalError',
      attempts: 3,
    });
    expect(error.context.requestId).toMatch(/^FERRYPROXY\d+$/);
    expect(error.message).toContain(`GetObject s3://${f.bucket}/${f.key}`);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
    expect(await filesIn(temp.path)).toEqual([]); // no .part left behind
  });

  it('a connection reset on every attempt: S3_NETWORK, not a timeout to raise (GET and listing)', async () => {
    const f = await fixture('reset-forever');
    proxy.addRule(getRule(f, { kind: 'reset' }));
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_NETWORK');
    expect(error.retryable).toBe(true);
    expect(error.context).toMatchObject({ operation: 'GetObject', errorCode: 'ECONNRESET', attempts: 3 });
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain('raise its timeouts');
    expect(error.hint).toBeDefined();
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);

    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, hasQuery: ['list-type'] },
      fault: { kind: 'reset' },
    });
    const listing = await catchFerryError(
      listObjects(proxiedClient(), { connection: 'test-s3', bucket: f.bucket, prefix: 'in/' }),
    );
    expect(listing.code).toBe('S3_NETWORK');
    expect(listing.context).toMatchObject({ operation: 'ListObjectsV2', errorCode: 'ECONNRESET' });
  });

  const notRetried = [
    { status: 403, code: 'AccessDenied', expected: 'S3_ACCESS_DENIED', says: 's3:GetObject' },
    { status: 403, code: 'InvalidAccessKeyId', expected: 'S3_INVALID_CREDENTIALS', says: 'access key' },
    {
      status: 403,
      code: 'SignatureDoesNotMatch',
      expected: 'S3_SIGNATURE_MISMATCH',
      says: 'secret access key',
    },
    { status: 404, code: 'NoSuchBucket', expected: 'S3_NO_SUCH_BUCKET', says: 'does not exist' },
    { status: 501, code: 'NotImplemented', expected: 'S3_NOT_IMPLEMENTED', says: 'not supported' },
  ] as const;

  it.each(notRetried)(
    '$status $code → $expected, one request, message names action and resource',
    async (c) => {
      const f = await fixture(`no-retry-${c.code.toLowerCase()}`);
      proxy.addRule(getRule(f, { kind: 'status', status: c.status, code: c.code }));
      const error = await catchFerryError(f.download());
      expect(error.code).toBe(c.expected);
      expect(error.retryable).toBe(false);
      expect(error.context).toMatchObject({
        operation: 'GetObject',
        bucket: f.bucket,
        key: f.key,
        awsErrorName: c.code,
      });
      expect(error.message).toContain(`GetObject s3://${f.bucket}/${f.key}`);
      expect(error.message).toContain(c.says);
      expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(1);
    },
  );

  it('AccessDenied says which permission on which resource for which connection', async () => {
    const f = await fixture('denied-text');
    proxy.addRule(getRule(f, { kind: 'status', status: 403, code: 'AccessDenied' }));
    const error = await catchFerryError(f.download());
    expect(error.message).toContain(
      `Check that the credentials of connection "test-s3" allow s3:GetObject on arn:aws:s3:::${f.bucket}/${f.key}`,
    );
  });

  it('501 carries the checksum hint', async () => {
    const f = await fixture('not-implemented');
    proxy.addRule(getRule(f, { kind: 'status', status: 501, code: 'NotImplemented' }));
    const error = await catchFerryError(f.download());
    expect(error.hint).toContain('checksum: when_required');
  });

  it('real s3rver answers: missing bucket and missing key, not retried', async () => {
    const client = proxiedClient();
    const missingBucket = uniqueBucket('missing');
    const bucketError = await catchFerryError(
      downloadObject(client, {
        connection: 'test-s3',
        bucket: missingBucket,
        key: 'a',
        destPath: join(temp.path, 'a'),
      }),
    );
    expect(bucketError.code).toBe('S3_NO_SUCH_BUCKET');
    expect(proxy.count({ bucket: missingBucket })).toBe(1);

    const f = await fixture('missing-key');
    const keyError = await catchFerryError(
      downloadObject(client, {
        connection: 'test-s3',
        bucket: f.bucket,
        key: 'nope',
        destPath: join(temp.path, 'b'),
      }),
    );
    expect(keyError.code).toBe('S3_NO_SUCH_KEY');
    expect(keyError.message).toContain(`s3://${f.bucket}/nope`);
    expect(proxy.count({ bucket: f.bucket, key: 'nope' })).toBe(1);
  });

  it('a body truncated every time: S3_DOWNLOAD_TRUNCATED after the bounded attempts', async () => {
    const f = await fixture('truncate-always');
    proxy.addRule(getRule(f, { kind: 'truncate', afterBytes: 1_000 }));
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_DOWNLOAD_TRUNCATED');
    expect(error.context).toMatchObject({ attempts: 3, bytesReceived: 1_000, bytesExpected: OBJECT_BYTES });
    expect(error.message).toContain(`s3://${f.bucket}/${f.key}`);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
    expect(await filesIn(temp.path)).toEqual([]);
  });

  it('a size different from the listing is S3_OBJECT_CHANGED, not retried', async () => {
    const f = await fixture('changed');
    const error = await catchFerryError(f.download({ expectedSize: OBJECT_BYTES + 1 }));
    expect(error.code).toBe('S3_OBJECT_CHANGED');
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(1);
  });
});

describe('bounded: hangs end within the deadline', () => {
  it('a stalled body ends with S3_TIMEOUT', async () => {
    const f = await fixture('stall');
    proxy.addRule(getRule(f, { kind: 'stall', afterBytes: 1_000 }));
    const started = performance.now();
    const error = await catchFerryError(f.download());
    const elapsedMs = performance.now() - started;
    expect(error.code).toBe('S3_TIMEOUT');
    expect(error.context).toMatchObject({ attempts: 3, bytesReceived: 1_000 });
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * FAST_LIMITS.bodyIdleTimeoutMs - 50);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
  });

  it('a server that never answers a GET ends with S3_TIMEOUT', async () => {
    const f = await fixture('hang-get');
    proxy.addRule(getRule(f, { kind: 'hang' }));
    const started = performance.now();
    const error = await catchFerryError(f.download());
    const elapsedMs = performance.now() - started;
    expect(error.code).toBe('S3_TIMEOUT');
    expect(error.context).toMatchObject({
      operation: 'GetObject',
      bucket: f.bucket,
      key: f.key,
      attempts: 3,
    });
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
    expect(proxy.count({ method: 'GET', bucket: f.bucket, key: f.key })).toBe(3);
  });

  it('a server that never answers a listing ends with S3_TIMEOUT', async () => {
    const f = await fixture('hang-list');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, hasQuery: ['list-type'] },
      fault: { kind: 'hang' },
    });
    const started = performance.now();
    const error = await catchFerryError(
      listObjects(proxiedClient(), { connection: 'test-s3', bucket: f.bucket, prefix: 'in/' }),
    );
    expect(error.code).toBe('S3_TIMEOUT');
    expect(error.context.operation).toBe('ListObjectsV2');
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS);
  });

  it('a listing whose body stalls ends with S3_TIMEOUT', async () => {
    const f = await fixture('stall-list');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, hasQuery: ['list-type'] },
      fault: { kind: 'stall', afterBytes: 100 },
    });
    const started = performance.now();
    const error = await catchFerryError(
      listObjects(proxiedClient(), { connection: 'test-s3', bucket: f.bucket, prefix: 'in/' }),
    );
    expect(error.code).toBe('S3_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS);
  });
});
