/**
 * Aborts the incomplete multipart uploads of one key: the parts a killed process left behind, which
 * S3 keeps (and bills) until aborted. Best effort by design: some S3-compatible servers do not list
 * multipart uploads at all (s3rver answers 405/501), and a missing listing must not fail a run.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { isFerryError } from '../../errors/ferry-error.js';
import { wrapS3Error } from './wrap-s3-error.js';

/** Returns how many uploads were aborted, or undefined when the server cannot list them. */
export async function abortMultipartUploads(
  client: S3Client,
  options: { connection: string; bucket: string; key: string },
): Promise<number | undefined> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (let page = 0; page < 100; page += 1) {
      const response = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: options.bucket,
          Prefix: options.key,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of response.Uploads ?? []) {
        if (upload.Key !== options.key || upload.UploadId === undefined) continue;
        await client.send(
          new AbortMultipartUploadCommand({
            Bucket: options.bucket,
            Key: options.key,
            UploadId: upload.UploadId,
          }),
        );
        aborted += 1;
      }
      if (!response.IsTruncated) break;
      keyMarker = response.NextKeyMarker;
      uploadIdMarker = response.NextUploadIdMarker;
    }
  } catch (error) {
    const wrapped = wrapS3Error(error, { operation: 'ListMultipartUploads', ...options });
    if (
      isFerryError(wrapped) &&
      (wrapped.code === 'S3_NOT_IMPLEMENTED' || wrapped.context.httpStatus === 405)
    ) {
      return undefined;
    }
    throw wrapped;
  }
  return aborted;
}
