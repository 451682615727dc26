/**
 * A full disk while the fetch writes an object: the download must fail as RUN_DISK_FULL (the code
 * DuckDB's own full-disk errors get), naming the object, not as a generic write error. The disk cannot
 * be filled in a test, so the file system answers ENOSPC for destinations named `*__enospc__*`; the
 * GETs go over the wire to s3rver as always. A module mock: the file is in vitest.config.ts's ISOLATED
 * list, or a worker that loaded the download code for another file first would ignore the mock.
 */
import { randomBytes } from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { Writable } from 'node:stream';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { downloadObject } from '../../../engine/io/s3/download-object.js';
import { uploadFile } from '../../../engine/io/s3/upload-file.js';
import { createRunTempDir, type RunTempDir } from '../../../engine/io/temp-dir.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const FULL = '__enospc__';

function enospc(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const writeFile: typeof actual.writeFile = async (path, data, options) => {
    if (typeof path === 'string' && path.includes(FULL)) throw enospc(path);
    return actual.writeFile(path, data, options);
  };
  return { ...actual, default: { ...actual, writeFile }, writeFile };
});

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof Fs>();
  const createWriteStream = ((path: string, options?: unknown) => {
    if (!String(path).includes(FULL)) return actual.createWriteStream(path, options as never);
    return new Writable({ write: (_chunk, _encoding, callback) => callback(enospc(String(path))) });
  }) as typeof actual.createWriteStream;
  return { ...actual, default: { ...actual, createWriteStream }, createWriteStream };
});

let server: S3TestServer;
let client: S3Client;
let temp: RunTempDir;
const bucket = uniqueBucket('disk-full');

beforeAll(async () => {
  server = await startS3Server();
  client = createS3Client(createTestConnection({ endpoint: server.endpoint }));
  await server.createBucket(bucket);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

beforeEach(async () => {
  temp = await createRunTempDir({ runId: 'disk-full-test' });
});

afterEach(async () => {
  await temp.cleanup();
});

async function failure(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FerryError)) throw new Error(`expected a FerryError, got ${String(error)}`);
  return error;
}

describe('downloadObject on a full disk', () => {
  it.each([
    ['a small body, written in one write', 1000],
    ['a streamed body (over 1 MiB)', 3 * 1024 * 1024],
  ])('%s fails as RUN_DISK_FULL naming the object and the file', async (_name, size) => {
    const source = join(temp.path, `source-${size}.bin`);
    await writeFile(source, randomBytes(size));
    const key = `in/object-${size}.bin`;
    await uploadFile(client, { connection: 'test-s3', bucket, key, filePath: source });
    const destPath = join(temp.path, `download${FULL}.bin`);
    const error = await failure(
      downloadObject(client, { connection: 'test-s3', bucket, key, destPath, expectedSize: size }),
    );
    expect(error.code).toBe('RUN_DISK_FULL');
    expect(error.message).toContain(`s3://${bucket}/${key}`);
    expect(error.message).toContain("the disk of the run's temp dir is full");
    expect(error.hint).toContain('limits.temp_disk_bytes');
    expect(error.context).toMatchObject({ bucket, key });
    // Nothing half-written is left behind.
    expect((await readdir(temp.path)).filter((name) => name.includes(FULL))).toEqual([]);
  });

  it('any other local write error stays FILE_WRITE_FAILED', async () => {
    const source = join(temp.path, 'source-small.bin');
    await writeFile(source, randomBytes(100));
    await uploadFile(client, { connection: 'test-s3', bucket, key: 'in/small.bin', filePath: source });
    const error = await failure(
      downloadObject(client, {
        connection: 'test-s3',
        bucket,
        key: 'in/small.bin',
        destPath: join(temp.path, 'no-such-dir', 'small.bin'),
        expectedSize: 100,
      }),
    );
    expect(error.code).toBe('FILE_WRITE_FAILED');
  });
});
