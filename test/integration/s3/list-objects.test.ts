import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { listObjects } from '../../../engine/io/s3/list-objects.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { runWithConcurrency } from '../../harness/run-with-concurrency.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
let proxy: FaultProxy;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  client = createS3Client(createTestConnection({ endpoint: proxy.endpoint, maxAttempts: 3 }));
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await server?.stop();
});

async function seed(bucket: string, keys: readonly string[]): Promise<void> {
  await server.createBucket(bucket);
  await runWithConcurrency(keys, 16, (key) =>
    server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key })),
  );
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

describe('listObjects', () => {
  it('follows continuation tokens over 2,500 keys (three pages) and returns every key once', async () => {
    const bucket = uniqueBucket('list-2500');
    const keys = Array.from({ length: 2_500 }, (_, i) => `data/file-${String(i).padStart(5, '0')}.csv`);
    await seed(bucket, [...keys, 'other/outside-prefix.csv']);

    const listed = await listObjects(client, { connection: 'test-s3', bucket, prefix: 'data/' });

    expect(listed).toHaveLength(2_500);
    expect(listed.map((object) => object.key)).toEqual(keys);
    const first = listed[0]!;
    expect(first.size).toBe(Buffer.byteLength(keys[0]!));
    expect(first.etag).toBe(createHash('md5').update(keys[0]!).digest('hex'));
    expect(first.lastModified).toBeInstanceOf(Date);
    expect(proxy.count({ method: 'GET', bucket, hasQuery: ['list-type'] })).toBe(3);
    expect(proxy.count({ method: 'GET', bucket, hasQuery: ['continuation-token'] })).toBe(2);
  });

  it('returns an empty list for an empty prefix', async () => {
    const bucket = uniqueBucket('list-empty');
    await seed(bucket, ['a/1.csv']);
    await expect(listObjects(client, { connection: 'test-s3', bucket, prefix: 'b/' })).resolves.toEqual([]);
  });

  it('throws instead of returning a partial listing when page 3 fails for good', async () => {
    const bucket = uniqueBucket('list-page3');
    await seed(
      bucket,
      Array.from({ length: 25 }, (_, i) => `in/${String(i).padStart(2, '0')}.json`),
    );
    const rule = proxy.addRule({
      match: { method: 'GET', bucket, hasQuery: ['continuation-token'] },
      skip: 1,
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });

    const error = await catchFerryError(
      listObjects(client, { connection: 'test-s3', bucket, prefix: 'in/', maxKeysPerPage: 10 }),
    );

    expect(error.code).toBe('S3_SERVER_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.context).toMatchObject({
      operation: 'ListObjectsV2',
      bucket,
      key: 'in/',
      connection: 'test-s3',
      httpStatus: 500,
      awsErrorName: 'InternalError',
      attempts: 3,
    });
    expect(error.message).toContain(`s3://${bucket}/in/`);
    expect(rule.seen).toBe(4); // page 2 let through, page 3 tried three times
    expect(rule.hits).toBe(3);
    expect(proxy.count({ method: 'GET', bucket, hasQuery: ['list-type'] })).toBe(5);
    rule.remove();
  });

  it('does not retry AccessDenied on a later page and names the ListBucket permission', async () => {
    const bucket = uniqueBucket('list-denied');
    await seed(
      bucket,
      Array.from({ length: 25 }, (_, i) => `in/${String(i).padStart(2, '0')}.json`),
    );
    const rule = proxy.addRule({
      match: { method: 'GET', bucket, hasQuery: ['continuation-token'] },
      skip: 1,
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });

    const error = await catchFerryError(
      listObjects(client, { connection: 'test-s3', bucket, prefix: 'in/', maxKeysPerPage: 10 }),
    );

    expect(error.code).toBe('S3_ACCESS_DENIED');
    expect(error.message).toContain('s3:ListBucket');
    expect(error.message).toContain(`arn:aws:s3:::${bucket}`);
    expect(rule.hits).toBe(1);
    rule.remove();
  });

  it('reports a missing bucket as S3_NO_SUCH_BUCKET without retrying', async () => {
    const bucket = uniqueBucket('list-missing');
    const error = await catchFerryError(listObjects(client, { connection: 'test-s3', bucket, prefix: '' }));
    expect(error.code).toBe('S3_NO_SUCH_BUCKET');
    expect(error.context).toMatchObject({ operation: 'ListObjectsV2', bucket, httpStatus: 404 });
    expect(error.message).toContain(`s3://${bucket}/`);
    expect(proxy.count({ method: 'GET', bucket })).toBe(1);
  });
});
