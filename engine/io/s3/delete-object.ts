/** DeleteObject with ferry's error wrapping (an absent key is not an error in S3). */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { wrapS3Error } from './wrap-s3-error.js';

export async function deleteObject(
  client: S3Client,
  options: { connection: string; bucket: string; key: string },
): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: options.key }));
  } catch (error) {
    throw wrapS3Error(error, { operation: 'DeleteObject', ...options });
  }
}
