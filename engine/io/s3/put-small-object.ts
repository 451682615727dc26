/**
 * PutObject of a few bytes held in memory (`ferry check --write-test`), with ferry's error wrapping.
 * The client's Content-MD5 middleware covers the body. Outputs go through upload-file.ts instead.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { wrapS3Error } from './wrap-s3-error.js';

export async function putSmallObject(
  client: S3Client,
  options: { connection: string; bucket: string; key: string; body: Buffer; signal?: AbortSignal },
): Promise<void> {
  const { connection, bucket, key } = options;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: options.body,
        ContentLength: options.body.length,
      }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    throw wrapS3Error(error, { operation: 'PutObject', connection, bucket, key });
  }
}
