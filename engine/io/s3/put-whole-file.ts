/**
 * The single-request path of `uploadFile`: a file up to the multipart threshold is read once, its
 * SHA-256 (for `ferry-sha256`) and MD5 (Content-MD5, and what the ETag must equal) are taken from
 * that one buffer, and it goes in one PutObject. A buffer body lets the SDK retry the PUT as it is.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { UploadedObject, UploadFileOptions } from './upload-file-options.js';
import { FERRY_SHA256_METADATA, fileReadFailed, verifyPut } from './verify-upload.js';
import { wrapS3Error } from './wrap-s3-error.js';

export async function putWholeFile(client: S3Client, options: UploadFileOptions): Promise<UploadedObject> {
  const { bucket, key, connection } = options;
  const body = await readFile(options.filePath).catch((error: unknown) => {
    throw fileReadFailed(options, error);
  });
  const md5 = createHash('md5').update(body).digest();
  const expected = {
    size: body.length,
    sha256: options.sha256 ?? createHash('sha256').update(body).digest('hex'),
    md5: md5.toString('hex'),
  };
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentLength: body.length,
    // Given here, the client's Content-MD5 middleware does not hash the body a second time.
    ContentMD5: md5.toString('base64'),
    ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    Metadata: { ...options.metadata, [FERRY_SHA256_METADATA]: expected.sha256 },
    ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
  });
  // SigV4 signs the body's SHA-256; given as a header, the signer takes it instead of hashing the body
  // once more (and S3 checks the body against it).
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers['x-amz-content-sha256'] = expected.sha256;
      return next(args);
    },
    { step: 'build', name: 'ferryPayloadSha256' },
  );
  let answer;
  try {
    answer = await client.send(command, options.signal === undefined ? {} : { abortSignal: options.signal });
  } catch (error) {
    throw wrapS3Error(error, { operation: 'PutObject', connection, bucket, key });
  }
  return verifyPut(client, options, expected, answer);
}
