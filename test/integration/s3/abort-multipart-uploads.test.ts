/**
 * A killed run can leave a multipart upload open (its parts are kept, and billed, until aborted).
 * Against moto, which lists multipart uploads as AWS does: the open uploads of a key are aborted and
 * other keys' are not. Against s3rver, which cannot list them, the call reports that it could not.
 */
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { abortMultipartUploads } from '../../../engine/io/s3/abort-multipart-uploads.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let moto: MotoServer;
let s3rver: S3TestServer;
beforeAll(async () => {
  [moto, s3rver] = await Promise.all([startMotoServer(), startS3Server()]);
  await moto.createBucket('sink');
  await s3rver.createBucket('sink');
});
afterAll(async () => {
  await Promise.all([moto?.stop(), s3rver?.stop()]);
});

async function openUpload(key: string): Promise<void> {
  const { UploadId } = await moto.client.send(new CreateMultipartUploadCommand({ Bucket: 'sink', Key: key }));
  await moto.client.send(
    new UploadPartCommand({ Bucket: 'sink', Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }),
  );
}

it('aborts the open multipart uploads of exactly one key', async () => {
  await openUpload('out/a.csv');
  await openUpload('out/a.csv');
  await openUpload('out/a.csv.bak');
  const aborted = await abortMultipartUploads(moto.client, {
    connection: 'moto',
    bucket: 'sink',
    key: 'out/a.csv',
  });
  expect(aborted).toBe(2);
  const left = await moto.client.send(new ListMultipartUploadsCommand({ Bucket: 'sink' }));
  expect((left.Uploads ?? []).map((u) => u.Key)).toEqual(['out/a.csv.bak']);
});

it('says it could not list them on a server without ListMultipartUploads (s3rver)', async () => {
  expect(
    await abortMultipartUploads(s3rver.client, { connection: 's3rver', bucket: 'sink', key: 'out/a.csv' }),
  ).toBeUndefined();
});
