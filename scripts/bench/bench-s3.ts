/** S3 chores of the bench scenarios against s3rver: list, empty a bucket, a plain download and upload. */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { uploadFile } from '../../engine/io/s3/upload-file.js';

export async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Deletes every object of `bucket` not in `keep`. */
export async function removeObjects(
  client: S3Client,
  bucket: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (const key of await listKeys(client, bucket)) {
    if (!keep.has(key)) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}

/** GetObject streamed to a local file: what a plain script would do before running DuckDB. */
export async function downloadPlain(
  client: S3Client,
  bucket: string,
  key: string,
  path: string,
): Promise<void> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(response.Body as Readable, createWriteStream(path));
}

export async function uploadPlain(
  client: S3Client,
  bucket: string,
  key: string,
  path: string,
): Promise<void> {
  await uploadFile(client, { connection: 'bench', bucket, key, filePath: path, contentType: 'text/csv' });
}
