/**
 * uploadFile's create-only writes against moto, which enforces If-None-Match as AWS does: on the
 * single PutObject (files up to the multipart threshold) and on CompleteMultipartUpload (above it).
 * moto's ETags are MD5s for a PUT, so the first path is proved by its ETag; the second by HEAD.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadFile } from '../../../engine/io/s3/upload-file.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const MiB = 1024 * 1024;
let moto: MotoServer;
let dir: string;
const bucket = uniqueBucket('create-only');

beforeAll(async () => {
  moto = await startMotoServer();
  await moto.createBucket(bucket);
  dir = await mkdtemp(join(tmpdir(), 'ferry-conditional-upload-'));
});
afterAll(async () => {
  await moto?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('uploadFile with ifNoneMatch', () => {
  it.each([
    ['one PutObject', 2_000, 'etag'],
    ['a multipart upload', 6 * MiB, 'head'],
  ] as const)('%s creates once, then answers 412 for the same key', async (_what, bytes, verifiedBy) => {
    const filePath = join(dir, `f-${bytes}.bin`);
    await writeFile(filePath, randomBytes(bytes));
    const options = {
      connection: 'moto',
      bucket,
      key: `only-once-${bytes}.bin`,
      filePath,
      partSizeBytes: 5 * MiB,
      multipartThresholdBytes: 5 * MiB,
      ifNoneMatch: '*',
    } as const;

    await expect(uploadFile(moto.client, options)).resolves.toMatchObject({ size: bytes, verifiedBy });
    await expect(uploadFile(moto.client, options)).rejects.toMatchObject({
      context: {
        operation: bytes > 5 * MiB ? 'CompleteMultipartUpload' : 'PutObject',
        httpStatus: 412,
      },
    });
  });
});
