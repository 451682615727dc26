/**
 * What only the S3 backend has: the probe of conditional writes (moto enforces them as AWS does,
 * s3rver ignores them), the refusal to lock where they are not enforced, the answer read-only
 * credentials get, a conditional write whose answer was lost, and reads checked against the
 * SHA-256 ferry stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { emptyPipelineState } from '../../../engine/state/pipeline-state.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { s3Fixture } from '../../harness/state-backends.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let moto: MotoServer;
let s3rver: S3TestServer;
let proxy: FaultProxy;
const motoBucket = uniqueBucket('state');
const s3rverBucket = uniqueBucket('state');
let prefixes = 0;
const prefix = () => `p${(prefixes += 1)}/`;

beforeAll(async () => {
  [moto, s3rver] = await Promise.all([startMotoServer(), startS3Server()]);
  await moto.createBucket(motoBucket);
  await s3rver.createBucket(s3rverBucket);
  proxy = await startFaultProxy({ upstream: moto.endpoint });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([moto?.stop(), s3rver?.stop()]);
});

/** A client that reaches moto through the fault proxy. */
const proxied = () => createS3Client(createTestConnection({ endpoint: proxy.endpoint }));

describe('conditional writes are probed, once per store', () => {
  it('moto enforces them; the probe leaves only its record behind', async () => {
    const f = s3Fixture(moto.client, motoBucket, prefix());
    const check = await f.store.blobs.checkConditionalWrites();
    expect(check).toMatchObject({ support: 'enforced', how: expect.stringContaining('412') });
    expect(await f.keys()).toEqual(['backend.json']);
    expect(JSON.parse((await f.get('backend.json'))?.toString() ?? '{}')).toMatchObject({
      conditionalWrites: 'enforced',
    });
    expect(await f.store.backendWarnings()).toEqual([]);
  });

  it('s3rver ignores them: the probe says so, apply refuses to lock, plans say apply will refuse', async () => {
    const f = s3Fixture(s3rver.client, s3rverBucket, prefix());
    expect(await f.store.blobs.checkConditionalWrites()).toMatchObject({
      support: 'not-enforced',
      how: expect.stringContaining('ignored'),
    });
    expect((await f.store.backendWarnings()).map((w) => w.code)).toEqual(['STATE_LOCK_UNSUPPORTED']);
    await expect(f.store.acquirePipelineLock('p', { runId: 'r' })).rejects.toMatchObject({
      code: 'STATE_LOCK_UNSUPPORTED',
      hint: expect.stringContaining('unsafe-single-writer'),
    });
    await expect(f.store.acquireDatasetLock('d', { runId: 'r' })).rejects.toMatchObject({
      code: 'STATE_LOCK_UNSUPPORTED',
    });
    // Nothing pretends to be a lock.
    expect(await f.keys()).toEqual(['backend.json']);
  });

  it('with unsafe-single-writer it runs unlocked, says NOT LOCKED, and still catches a lock it can see', async () => {
    const f = s3Fixture(s3rver.client, s3rverBucket, prefix(), { lock: 'unsafe-single-writer' });
    const warnings = await f.store.backendWarnings();
    expect(warnings).toMatchObject([
      { code: 'STATE_UNLOCKED', message: expect.stringContaining('NOT LOCKED') },
    ]);
    const held = await f.store.acquirePipelineLock('p', { runId: 'first' });
    await expect(f.store.acquirePipelineLock('p', { runId: 'second' })).rejects.toMatchObject({
      code: 'LOCK_HELD',
    });
    // Compare-and-swap is checked by reading first: a stale commit is still refused.
    await f.store.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined });
    const read = await f.store.readPipelineState('p');
    await f.store.commitPipelineState('p', { ...read.state, generation: 1 }, { expected: read.blobVersion });
    await expect(
      f.store.commitPipelineState('p', { ...read.state, generation: 2 }, { expected: read.blobVersion }),
    ).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    await held.release();
    expect((await f.store.readPipelineLock('p')).kind).toBe('free');
  });
});

describe('credentials that may only read (a plan in CI)', () => {
  it('learn what the last writer probed; without a record the plan says it could not check', async () => {
    const where = prefix();
    const client = proxied();
    proxy.addRule({
      match: { method: 'PUT', bucket: motoBucket },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    proxy.addRule({
      match: { method: 'DELETE', bucket: motoBucket },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    try {
      const reader = s3Fixture(client, motoBucket, where);
      expect(await reader.store.backendWarnings()).toMatchObject([
        { code: 'STATE_CONDITIONAL_WRITES_UNKNOWN', message: expect.stringContaining('may not write') },
      ]);
      // Apply (which must write anyway) gets the real error, not a guess.
      await expect(reader.store.blobs.checkConditionalWrites()).rejects.toMatchObject({
        code: 'S3_ACCESS_DENIED',
      });

      await s3Fixture(moto.client, motoBucket, where).store.blobs.checkConditionalWrites();
      const later = s3Fixture(client, motoBucket, where);
      expect(await later.store.blobs.checkConditionalWrites({ readOnly: true })).toMatchObject({
        support: 'enforced',
        how: expect.stringContaining('recorded'),
      });
      expect(await later.store.backendWarnings()).toEqual([]);
      // And they read state as any reader does.
      expect((await later.store.readPipelineState('p')).blobVersion).toBeUndefined();
    } finally {
      proxy.clearRules();
      client.destroy();
    }
  });
});

describe('conditional writes over a network that loses answers', () => {
  it('a create whose answer was lost, retried by the SDK into a 412, is recognised as its own write', async () => {
    const client = proxied();
    try {
      const f = s3Fixture(client, motoBucket, prefix());
      await f.store.blobs.checkConditionalWrites();
      const rule = proxy.addRule({
        match: { method: 'PUT', keyIncludes: 'pipelines/p/state.json' },
        fault: { kind: 'drop-response' },
        times: 1,
      });
      await f.store.commitPipelineState(
        'p',
        { ...emptyPipelineState('p'), generation: 1 },
        { expected: undefined },
      );
      expect(rule.hits).toBe(1);
      expect((await f.store.readPipelineState('p')).state.generation).toBe(1);
    } finally {
      proxy.clearRules();
      client.destroy();
    }
  });
});

describe('large immutable files', () => {
  it('go up in parts, are created only if absent, and come back checked', async () => {
    const f = s3Fixture(moto.client, motoBucket, prefix());
    const dir = mkdtempSync(join(tmpdir(), 'ferry-big-'));
    const big = join(dir, 'big.parquet');
    // Up to 64 MiB: one PutObject carrying If-None-Match (multipart: s3/conditional-upload.test.ts).
    writeFileSync(big, randomBytes(9 * 1024 * 1024));
    const key = 'datasets/d/v000001-a.parquet';
    await f.store.blobs.putFile(key, big, { ifNoneMatch: '*' });
    await expect(f.store.blobs.putFile(key, big, { ifNoneMatch: '*' })).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
    });
    const back = join(dir, 'back.parquet');
    expect(await f.store.blobs.getFile(key, back)).toBe(true);
    expect(readFileSync(back).equals(readFileSync(big))).toBe(true);
    expect(await f.store.blobs.getFile('datasets/d/v000002-b.parquet', back)).toBe(false);
  });

  it('store the SHA-256 the caller took as it is, and a read checks the bytes against it', async () => {
    const where = prefix();
    const f = s3Fixture(moto.client, motoBucket, where);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-known-'));
    const file = join(dir, 'v.parquet');
    const bytes = randomBytes(100_000);
    writeFileSync(file, bytes);
    const right = createHash('sha256').update(bytes).digest('hex');
    await f.store.blobs.putFile('datasets/d/v000001-a.parquet', file, undefined, { sha256: right });
    const back = join(dir, 'back.parquet');
    expect(await f.store.blobs.getFile('datasets/d/v000001-a.parquet', back)).toBe(true);
    expect(readFileSync(back).equals(bytes)).toBe(true);

    // A wrong hash is not replaced by the file's own (the upload does not read the file for it): it is
    // stored, and the next read refuses the object.
    const wrong = createHash('sha256').update('something else').digest('hex');
    await f.store.blobs.putFile('datasets/d/v000002-b.parquet', file, undefined, { sha256: wrong });
    const head = await moto.client.send(
      new HeadObjectCommand({ Bucket: motoBucket, Key: `${where}datasets/d/v000002-b.parquet` }),
    );
    expect(head.Metadata?.['ferry-sha256']).toBe(wrong);
    await expect(f.store.blobs.getFile('datasets/d/v000002-b.parquet', back)).rejects.toThrow(
      /not what ferry wrote/,
    );
  });
});

describe('reads', () => {
  it('refuse a document whose bytes are not the ones ferry stored (its ferry-sha256)', async () => {
    const where = prefix();
    const f = s3Fixture(moto.client, motoBucket, where);
    await f.store.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined });
    await moto.client.send(
      new PutObjectCommand({
        Bucket: motoBucket,
        Key: `${where}pipelines/p/state.json`,
        Body: JSON.stringify({ ...emptyPipelineState('p'), generation: 7 }),
        Metadata: { 'ferry-sha256': '0'.repeat(64) },
      }),
    );
    await expect(f.store.readPipelineState('p')).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      message: expect.stringContaining(`s3://${motoBucket}/${where}pipelines/p/state.json`),
    });
  });

  it('a state bucket that does not exist is an error, never an empty state', async () => {
    const f = s3Fixture(moto.client, uniqueBucket('missing'), prefix());
    await expect(f.store.readPipelineState('p')).rejects.toMatchObject({ code: 'S3_NO_SUCH_BUCKET' });
  });
});
