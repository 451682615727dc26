/**
 * HeadBucket: does the bucket exist, and may these credentials use it? Answers without writing, so
 * `plan` can report a sink that `apply` would fail on. A 403 here often only means the policy lacks
 * s3:ListBucket on the bucket; callers decide whether that is fatal.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { wrapS3Error } from './wrap-s3-error.js';

export async function headBucket(
  client: S3Client,
  options: { connection: string; bucket: string; signal?: AbortSignal },
): Promise<void> {
  try {
    await client.send(
      new HeadBucketCommand({ Bucket: options.bucket }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    throw wrapS3Error(error, {
      operation: 'HeadBucket',
      connection: options.connection,
      bucket: options.bucket,
    });
  }
}
