import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { downloadObject } from '../../../engine/io/s3/download-object.js';
import { uploadFile } from '../../../engine/io/s3/upload-file.js';
import { createRunTempDir, type RunTempDir } from '../../../engine/io/temp-dir.js';
import { filesIn } from '../../harness/files-in.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const MiB = 1024 * 1024;

let server: S3TestServer;
let proxy: FaultProxy;
let client: S3Client;
let temp: RunTempDir;

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

beforeEach(async () => {
  temp = await createRunTempDir({ runId: 'transfer-test' });
});

afterEach(async () => {
  proxy.clearRules();
  await temp.cleanup();
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeRandomFile(name: string, bytes: number): Promise<{ path: string; content: Buffer }> {
  const content = randomBytes(bytes);
  const path = join(temp.path, name);
  await writeFile(path, content);
  return { path, content };
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

/** GET without the SDK: what bytes does the server really hold? */
function plainGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('uploadFile and downloadObject', () => {
  it('uploads 20 MB in parts (over the threshold) and reads it back byte-identical, verified by HEAD metadata', async () => {
    const bucket = uniqueBucket('multipart');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('big.bin', 20 * 1_000_000);

    const uploaded = await uploadFile(client, {
      connection: 'test-s3',
      bucket,
      key: 'out/big.bin',
      filePath: path,
      contentType: 'application/octet-stream',
      metadata: { origin: 'test' },
      multipartThresholdBytes: 8 * MiB,
    });

    expect(uploaded).toMatchObject({
      key: 'out/big.bin',
      size: content.length,
      sha256: sha256(content),
      verifiedBy: 'head',
    });
    expect(proxy.count({ method: 'HEAD', bucket })).toBe(1);
    expect(proxy.count({ method: 'POST', bucket, hasQuery: ['uploads'] })).toBe(1);
    const parts = proxy.requests.filter(
      (r) => r.method === 'PUT' && r.bucket === bucket && 'partNumber' in r.query,
    );
    expect(parts).toHaveLength(3); // 8 MiB + 8 MiB + the rest
    // Each part's own MD5, in any order sent.
    const partMd5s = [0, 8, 16].map((at) =>
      createHash('md5')
        .update(content.subarray(at * MiB, Math.min(content.length, (at + 8) * MiB)))
        .digest('base64'),
    );
    expect(parts.map((part) => part.headers['content-md5']).sort()).toEqual([...partMd5s].sort());
    for (const part of parts) {
      expect(part.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(part.headers['content-encoding']).toBeUndefined();
      // The signed Content-MD5 binds the part; SigV4 does not hash it again.
      expect(part.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(Object.keys(part.headers).filter((h) => h.startsWith('x-amz-checksum-'))).toEqual([]);
    }
    expect(proxy.count({ method: 'POST', bucket, hasQuery: ['uploadId'] })).toBe(1);

    const head = await server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'out/big.bin' }));
    expect(head.ContentLength).toBe(content.length);
    expect(head.Metadata).toMatchObject({ 'ferry-sha256': sha256(content), origin: 'test' });

    const destPath = join(temp.path, 'download.bin');
    const downloaded = await downloadObject(client, {
      connection: 'test-s3',
      bucket,
      key: 'out/big.bin',
      destPath,
      expectedSize: content.length,
    });
    expect(downloaded).toMatchObject({ path: destPath, size: content.length, sha256: sha256(content) });
    expect(downloaded.etag).toBe(uploaded.etag);
    expect(sha256(await readFile(destPath))).toBe(sha256(content));
    expect((await filesIn(temp.path)).sort()).toEqual(['big.bin', 'download.bin']); // no .part left behind
  });

  it('stores an 8000-byte file as exactly 8000 bytes (no aws-chunked framing), with Content-MD5', async () => {
    const bucket = uniqueBucket('exact-bytes');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('small.bin', 8_000);

    await uploadFile(client, { connection: 'test-s3', bucket, key: 'small.bin', filePath: path });

    const put = proxy.requests.find((r) => r.method === 'PUT' && r.bucket === bucket);
    expect(put?.headers['content-md5']).toBe(createHash('md5').update(content).digest('base64'));
    expect(put?.headers['content-length']).toBe('8000');
    const { status, body } = await plainGet(`${server.endpoint}/${bucket}/small.bin`);
    expect(status).toBe(200);
    expect(body.length).toBe(8_000);
    expect(body.equals(content)).toBe(true);
  });

  it('surfaces the UploadPart failure, not the failed abort, when parts fail for good', async () => {
    const bucket = uniqueBucket('parts-fail');
    await server.createBucket(bucket);
    const { path } = await writeRandomFile('parts.bin', 11 * MiB);
    const rule = proxy.addRule({
      match: { method: 'PUT', bucket, hasQuery: ['partNumber'] },
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });

    const error = await catchFerryError(
      uploadFile(client, {
        connection: 'test-s3',
        bucket,
        key: 'out/parts.bin',
        filePath: path,
        partSizeBytes: 5 * MiB,
        multipartThresholdBytes: 5 * MiB,
      }),
    );

    expect(error.code).toBe('S3_SERVER_ERROR');
    expect(error.context).toMatchObject({
      operation: 'UploadPart',
      bucket,
      key: 'out/parts.bin',
      awsErrorName: 'InternalError',
      httpStatus: 500,
      abortFailed: true,
      abortErrorName: 'MethodNotAllowed',
    });
    expect(error.context.uploadId).toEqual(expect.any(String));
    expect(error.message).toContain(`UploadPart s3://${bucket}/out/parts.bin`);
    expect(error.message).toContain(String(error.context.uploadId));
    // The part that failed for good was tried three times; the others may still be retrying in the
    // background when the upload is rejected, so their attempts are bounded, not counted.
    expect(rule.hits).toBeGreaterThanOrEqual(3);
    expect(rule.hits).toBeLessThanOrEqual(3 * 3); // three parts, at most three attempts each
    expect(proxy.count({ method: 'DELETE', bucket, hasQuery: ['uploadId'] })).toBe(1);
    expect(proxy.count({ method: 'POST', bucket, hasQuery: ['uploadId'] })).toBe(0); // never completed
  });

  it('treats CompleteMultipartUpload answering 200 with an <Error> body as a failure', async () => {
    const bucket = uniqueBucket('complete-200');
    await server.createBucket(bucket);
    const { path } = await writeRandomFile('parts.bin', 6 * MiB);
    proxy.addRule({
      match: { method: 'POST', bucket, hasQuery: ['uploadId'] },
      fault: { kind: 'status', status: 200, code: 'InternalError' },
    });

    const error = await catchFerryError(
      uploadFile(client, {
        connection: 'test-s3',
        bucket,
        key: 'out/c.bin',
        filePath: path,
        partSizeBytes: 5 * MiB,
        multipartThresholdBytes: 5 * MiB,
      }),
    );

    // The SDK turns a 200 whose body ends in </Error> into a 503 and retries it.
    expect(error.code).toBe('S3_SERVER_ERROR');
    expect(error.context).toMatchObject({
      operation: 'CompleteMultipartUpload',
      awsErrorName: 'InternalError',
      httpStatus: 503,
      attempts: 3,
    });
    expect(proxy.count({ method: 'POST', bucket, hasQuery: ['uploadId'] })).toBe(3);
    expect(proxy.count({ method: 'DELETE', bucket, hasQuery: ['uploadId'] })).toBe(1);
  });

  it('a file up to the threshold is one PutObject, proved by its ETag without a HEAD', async () => {
    const bucket = uniqueBucket('one-put');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('one.bin', 20 * 1_000_000);

    const uploaded = await uploadFile(client, {
      connection: 'test-s3',
      bucket,
      key: 'one.bin',
      filePath: path,
    });

    expect(uploaded).toMatchObject({
      size: content.length,
      sha256: sha256(content),
      etag: createHash('md5').update(content).digest('hex'),
      verifiedBy: 'etag',
    });
    const requests = proxy.requests.filter((r) => r.bucket === bucket);
    expect(requests.map((r) => r.method)).toEqual(['PUT']);
    // The payload hash S3 checks the body against is the file's SHA-256 (ferry's, handed to the signer).
    expect(requests[0]?.headers['x-amz-content-sha256']).toBe(sha256(content));
    const head = await server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'one.bin' }));
    expect(head.Metadata).toMatchObject({ 'ferry-sha256': sha256(content) });
  });

  it('a body changed in transit (same length, server ignores Content-MD5) fails on the ETag', async () => {
    const bucket = uniqueBucket('corrupt');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('c.bin', 4_000);
    const rule = proxy.addRule({
      match: { method: 'PUT', bucket },
      times: 1,
      fault: { kind: 'corrupt-request-body' },
    });

    const error = await catchFerryError(
      uploadFile(client, { connection: 'test-s3', bucket, key: 'c.bin', filePath: path }),
    );

    expect(rule.hits).toBe(1);
    expect(error.code).toBe('S3_UPLOAD_VERIFY_FAILED');
    const damaged = Buffer.from(content);
    damaged[0] = (damaged[0] ?? 0) ^ 0xff;
    expect(error.context).toMatchObject({
      key: 'c.bin',
      expectedMd5: createHash('md5').update(content).digest('hex'),
      storedEtag: createHash('md5').update(damaged).digest('hex'),
    });
  });

  it('falls back to HEAD when the ETag is not an MD5 of the body (SSE-KMS), and HEAD must agree', async () => {
    const bucket = uniqueBucket('verify');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('v.bin', 1_000);
    const kms = { 'x-amz-server-side-encryption': 'aws:kms', etag: `"${'0'.repeat(32)}"` };

    proxy.addRule({ match: { method: 'PUT', bucket }, fault: { kind: 'override-headers', headers: kms } });
    const uploaded = await uploadFile(client, {
      connection: 'test-s3',
      bucket,
      key: 'v.bin',
      filePath: path,
    });
    expect(uploaded).toMatchObject({ sha256: sha256(content), verifiedBy: 'head' });
    expect(proxy.count({ method: 'HEAD', bucket })).toBe(1);

    const lengthRule = proxy.addRule({
      match: { method: 'HEAD', bucket },
      times: 1,
      fault: { kind: 'override-headers', headers: { 'content-length': '999' } },
    });
    const lengthError = await catchFerryError(
      uploadFile(client, { connection: 'test-s3', bucket, key: 'v.bin', filePath: path }),
    );
    expect(lengthError.code).toBe('S3_UPLOAD_VERIFY_FAILED');
    expect(lengthError.context).toMatchObject({ expectedBytes: 1_000, storedBytes: 999 });
    expect(lengthRule.hits).toBe(1);

    proxy.addRule({
      match: { method: 'HEAD', bucket },
      times: 1,
      fault: { kind: 'override-headers', headers: { 'x-amz-meta-ferry-sha256': 'f'.repeat(64) } },
    });
    const hashError = await catchFerryError(
      uploadFile(client, { connection: 'test-s3', bucket, key: 'v.bin', filePath: path }),
    );
    expect(hashError.code).toBe('S3_UPLOAD_VERIFY_FAILED');
    expect(hashError.context.storedSha256).toBe('f'.repeat(64));
  });

  it('a PUT whose response is lost is retried and leaves exactly one object', async () => {
    const bucket = uniqueBucket('lost-response');
    await server.createBucket(bucket);
    const { path, content } = await writeRandomFile('lost.bin', 2_000);
    const rule = proxy.addRule({
      match: { method: 'PUT', bucket, key: 'lost.bin' },
      times: 1,
      fault: { kind: 'drop-response' },
    });

    const uploaded = await uploadFile(client, {
      connection: 'test-s3',
      bucket,
      key: 'lost.bin',
      filePath: path,
    });

    expect(uploaded.sha256).toBe(sha256(content));
    expect(rule.hits).toBe(1);
    expect(proxy.count({ method: 'PUT', bucket, key: 'lost.bin' })).toBe(2);
  });

  it('takes the SHA-256 a caller gives instead of reading the file for it, in parts or in one PUT', async () => {
    const bucket = uniqueBucket('known-sha');
    await server.createBucket(bucket);
    // A value the file does not have: only a skipped hash pass stores it (a read of the object would
    // then refuse it; state/s3-blob-store.test.ts).
    const given = sha256(Buffer.from('not the file'));
    for (const [name, bytes] of [
      ['parts.bin', 10 * MiB],
      ['one.bin', 1000],
    ] as const) {
      const { path } = await writeRandomFile(name, bytes);
      const uploaded = await uploadFile(client, {
        connection: 'test-s3',
        bucket,
        key: name,
        filePath: path,
        sha256: given,
        multipartThresholdBytes: 8 * MiB,
      });
      expect(uploaded).toMatchObject({ size: bytes, sha256: given });
      const head = await server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
      expect(head.Metadata?.['ferry-sha256']).toBe(given);
    }
  });

  it('reports a missing local file as FILE_READ_FAILED before touching S3', async () => {
    const bucket = uniqueBucket('no-file');
    const error = await catchFerryError(
      uploadFile(client, {
        connection: 'test-s3',
        bucket,
        key: 'x',
        filePath: join(temp.path, 'missing.bin'),
      }),
    );
    expect(error.code).toBe('FILE_READ_FAILED');
    expect(proxy.count({ bucket })).toBe(0);
  });

  it('keepSmallBodyInMemory leaves a small body unwritten, with its bytes; a larger one is written', async () => {
    const bucket = uniqueBucket('in-memory');
    await server.createBucket(bucket);
    const small = await writeRandomFile('small.bin', 1000);
    const large = await writeRandomFile('large.bin', 2 * MiB);
    for (const [key, file] of [
      ['small', small],
      ['large', large],
    ] as const) {
      await uploadFile(client, { connection: 'test-s3', bucket, key, filePath: file.path });
    }
    const get = (key: string) =>
      downloadObject(client, {
        connection: 'test-s3',
        bucket,
        key,
        destPath: join(temp.path, `got-${key}`),
        keepSmallBodyInMemory: true,
      });
    const kept = await get('small');
    expect(kept.inMemoryOnly).toBe(true);
    expect(kept.bytes).toEqual(small.content);
    expect(kept.sha256).toBe(sha256(small.content));
    const written = await get('large');
    expect(written.inMemoryOnly).toBeUndefined();
    expect(await readFile(written.path)).toEqual(large.content);
    expect(await filesIn(temp.path)).not.toContain('got-small');
  });
});
