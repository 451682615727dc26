/**
 * downloadObject's ranged path (download-ranges.ts) against s3rver through the fault proxy: a large
 * object comes in parallel byte ranges written at their offsets, with the one-GET path's checks.
 * Sizes are shrunk by options (1 MiB ranges from 1 MiB up) so the tests stay small.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { downloadObject, type DownloadObjectOptions } from '../../../engine/io/s3/download-object.js';
import { createRunTempDir, type RunTempDir } from '../../../engine/io/temp-dir.js';
import { filesIn } from '../../harness/files-in.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const MiB = 1024 * 1024;
/** Six ranges of 1 MiB, the last one half full. */
const OBJECT_BYTES = 5 * MiB + MiB / 2;
const RANGES = 6;

let server: S3TestServer;
let proxy: FaultProxy;
let client: S3Client;
let temp: RunTempDir;

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  client = createS3Client(createTestConnection({ endpoint: proxy.endpoint, maxAttempts: 1 }));
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  temp = await createRunTempDir({ runId: 'ranged-download-test' });
});

afterEach(async () => {
  proxy.clearRules();
  await temp.cleanup();
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
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

async function fixture(label: string) {
  const bucket = uniqueBucket(label);
  const key = 'data/large.bin';
  const content = randomBytes(OBJECT_BYTES);
  await server.createBucket(bucket);
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }));
  const destPath = join(temp.path, 'large.bin');
  const download = (options: Partial<DownloadObjectOptions> & { unlisted?: boolean } = {}) =>
    downloadObject(client, {
      connection: 'test-s3',
      bucket,
      key,
      destPath,
      ...(options.unlisted === true ? {} : { expectedSize: OBJECT_BYTES }),
      rangedThresholdBytes: MiB,
      rangeBytes: MiB,
      rangeConcurrency: 3,
      maxAttempts: 3,
      bodyIdleTimeoutMs: 10_000,
      ...options,
    });
  const gets = () => proxy.requests.filter((r) => r.method === 'GET' && r.bucket === bucket && r.key === key);
  return { bucket, key, content, destPath, download, gets };
}

describe('ranged download', () => {
  it('assembles the exact bytes from parallel ranges and hashes them in order', async () => {
    const f = await fixture('ranged-exact');
    const result = await f.download();
    expect(result).toMatchObject({ path: f.destPath, size: OBJECT_BYTES, sha256: sha256(f.content) });
    expect((await readFile(f.destPath)).equals(f.content)).toBe(true);
    const ranges = f.gets().map((r) => r.headers.range);
    expect(ranges).toHaveLength(RANGES);
    expect(new Set(ranges)).toEqual(
      new Set(
        Array.from(
          { length: RANGES },
          (_, i) => `bytes=${i * MiB}-${Math.min(OBJECT_BYTES, (i + 1) * MiB) - 1}`,
        ),
      ),
    );
    expect(Math.max(...f.gets().map((r) => r.inFlight))).toBeGreaterThan(1);
    expect(await filesIn(temp.path)).toEqual(['large.bin']);
  });

  it('an object below the threshold, or without a listed size, is one GET without a Range', async () => {
    const f = await fixture('ranged-small');
    await f.download({ rangedThresholdBytes: OBJECT_BYTES + 1 });
    await f.download({ unlisted: true });
    expect(f.gets().map((r) => r.headers.range)).toEqual([undefined, undefined]);
  });

  it('a range cut short is fetched again on its own and the result is byte-identical', async () => {
    const f = await fixture('ranged-truncate-once');
    const rule = proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, key: f.key },
      fault: { kind: 'truncate', afterBytes: 1_000 },
      skip: 2,
      times: 1,
    });
    const result = await f.download();
    expect(rule.hits).toBe(1);
    expect(result.sha256).toBe(sha256(f.content));
    expect((await readFile(f.destPath)).equals(f.content)).toBe(true);
    expect(f.gets()).toHaveLength(RANGES + 1);
  });

  it('ranges cut short on every attempt: S3_DOWNLOAD_TRUNCATED naming the range, nothing left behind', async () => {
    const f = await fixture('ranged-truncate-always');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, key: f.key },
      fault: { kind: 'truncate', afterBytes: 1_000 },
      skip: 1,
    });
    const error = await catchFerryError(f.download());
    expect(error.code).toBe('S3_DOWNLOAD_TRUNCATED');
    expect(error.context).toMatchObject({ attempts: 3, bytesReceived: 1_000, bytesExpected: MiB });
    expect(String(error.context.range)).toMatch(/^bytes=\d+-\d+$/);
    expect(await filesIn(temp.path)).toEqual([]);
  });

  it('a range from another version of the object (another ETag) is S3_OBJECT_CHANGED, nothing left behind', async () => {
    const f = await fixture('ranged-etag');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, key: f.key },
      fault: { kind: 'override-headers', headers: { etag: '"0123456789abcdef0123456789abcdef"' } },
      skip: 1,
      times: 1,
    });
    const error = await catchFerryError(f.download({ rangeConcurrency: 1 }));
    expect(error.code).toBe('S3_OBJECT_CHANGED');
    expect(await filesIn(temp.path)).toEqual([]);
  });

  it('a size other than the listed one is S3_OBJECT_CHANGED, not retried', async () => {
    const f = await fixture('ranged-size');
    const error = await catchFerryError(f.download({ expectedSize: OBJECT_BYTES + 1, rangeConcurrency: 1 }));
    expect(error.code).toBe('S3_OBJECT_CHANGED');
    expect(f.gets()).toHaveLength(1);
    expect(await filesIn(temp.path)).toEqual([]);
  });

  it('a server that ignores Range (no Content-Range) gets one plain GET instead', async () => {
    const f = await fixture('ranged-ignored');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, key: f.key },
      fault: { kind: 'override-headers', headers: { 'content-range': '' } },
      times: 1,
    });
    const result = await f.download({ rangeConcurrency: 1 });
    expect(result.sha256).toBe(sha256(f.content));
    expect((await readFile(f.destPath)).equals(f.content)).toBe(true);
    expect(f.gets().at(-1)?.headers.range).toBeUndefined();
  });

  it('an abort mid-way ends with S3_ABORTED and leaves no file', async () => {
    const f = await fixture('ranged-abort');
    proxy.addRule({
      match: { method: 'GET', bucket: f.bucket, key: f.key },
      fault: { kind: 'hold' },
      skip: 2,
    });
    const controller = new AbortController();
    let settled = false;
    const pending = catchFerryError(f.download({ signal: controller.signal, rangeConcurrency: 3 })).finally(
      () => (settled = true),
    );
    // Two ranges answered, the third held: abort then (or fail below if it finished on its own).
    while (!settled && f.gets().length < 3) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('S3_ABORTED');
    expect(await filesIn(temp.path)).toEqual([]);
    proxy.releaseHeld();
  });
});
