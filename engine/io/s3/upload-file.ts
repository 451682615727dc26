/**
 * Uploads one local file and proves it landed (verify-upload.ts): the file's SHA-256 travels in the
 * `ferry-sha256` metadata (taken here, or given by a caller that just took it: `options.sha256`; a
 * multipart upload must know it before CreateMultipartUpload, so taking it here is a pass over the
 * file while the server waits, ≈0.8 s per GiB, docs/benchmarks.md). A file up to the multipart
 * threshold is read once and sent in one PutObject
 * whose ETag must be the file's MD5 (put-whole-file.ts); a larger one goes multipart with lib-storage,
 * parts in parallel (queueSize), must not change between its digest and the end of the upload, and a
 * HeadObject afterwards must show its length and hash.
 * A failed multipart upload is aborted by us, not by lib-storage, because lib-storage lets a failing
 * abort (s3rver answers 405) replace the error that caused it.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FerryError } from '../../errors/ferry-error.js';
import { sha256OfFile } from '../sha256-of-file.js';
import { putWholeFile } from './put-whole-file.js';
import type { UploadedObject, UploadFileOptions } from './upload-file-options.js';
import { FERRY_SHA256_METADATA, fileReadFailed, verifyFailed, verifyStored } from './verify-upload.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export { FERRY_SHA256_METADATA } from './verify-upload.js';
export type { UploadedObject, UploadFileOptions } from './upload-file-options.js';

const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** S3's minimum part size (all parts but the last); lib-storage refuses anything smaller. */
const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 8;
/** Read-ahead of the local file: fewer, larger chunks to hash and to cut into parts. */
const READ_CHUNK_BYTES = 1024 * 1024;

interface FileDigest {
  size: number;
  sha256: string;
  /** When the digest was taken: a file modified since is not the one hashed. */
  mtimeMs: number;
}

function createByteCounter(): { stream: Transform; bytes: () => number } {
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, bytes: () => size };
}

async function digestFile(options: UploadFileOptions): Promise<FileDigest> {
  try {
    const before = await stat(options.filePath);
    const sha256 = options.sha256 ?? (await sha256OfFile(options.filePath));
    return { size: before.size, sha256, mtimeMs: before.mtimeMs };
  } catch (error) {
    throw fileReadFailed(options, error);
  }
}

/** Aborts a multipart upload; returns the abort's error instead of throwing it. */
async function abortQuietly(
  client: S3Client,
  options: UploadFileOptions,
  uploadId: string,
): Promise<unknown> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }),
    );
    return undefined;
  } catch (error) {
    return error ?? new Error('AbortMultipartUpload failed');
  }
}

async function failUpload(
  client: S3Client,
  options: UploadFileOptions,
  upload: Upload,
  cause: unknown,
  readError: unknown,
): Promise<never> {
  const uploadId = upload.uploadId;
  const abortError = uploadId === undefined ? undefined : await abortQuietly(client, options, uploadId);
  const error =
    readError === undefined
      ? wrapS3Error(cause, {
          operation: uploadId === undefined ? 'PutObject' : 'UploadPart',
          connection: options.connection,
          bucket: options.bucket,
          key: options.key,
        })
      : fileReadFailed(options, readError);
  if (uploadId !== undefined) {
    error.context.uploadId = uploadId;
    error.context.abortFailed = abortError !== undefined;
    if (abortError !== undefined) {
      const abortName = abortError instanceof Error ? abortError.name : 'unknown error';
      error.context.abortErrorName = abortName;
      error.message += ` Aborting multipart upload ${uploadId} also failed (${abortName}); a lifecycle rule with AbortIncompleteMultipartUpload removes the leftover parts.`;
    }
  }
  throw error;
}

/**
 * Uploads `filePath` to `bucket/key` and verifies it (the PUT's ETag, or HeadObject). Throws
 * `S3_UPLOAD_VERIFY_FAILED` when the stored bytes, length or `ferry-sha256` differ (or the file changed
 * while uploading),
 * `FILE_READ_FAILED` for local errors, or the root cause's `wrapS3Error` code (never the abort's).
 */
export async function uploadFile(client: S3Client, options: UploadFileOptions): Promise<UploadedObject> {
  const { bucket, key, connection } = options;
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE_BYTES) {
    throw new FerryError(
      'S3_UPLOAD_PART_SIZE_INVALID',
      `Upload to ${formatS3Uri(bucket, key)}: the part size ${partSize} is below S3's minimum of 5 MiB.`,
      { context: { operation: 'PutObject', connection, bucket, key } },
    );
  }
  const { size } = await stat(options.filePath).catch((error: unknown) => {
    throw fileReadFailed(options, error);
  });
  if (size <= (options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES)) {
    return putWholeFile(client, options);
  }
  const expected = await digestFile(options);

  const source = createReadStream(options.filePath, { highWaterMark: READ_CHUNK_BYTES });
  const meter = createByteCounter();
  let readError: unknown;
  source.once('error', (error) => {
    readError = error;
    meter.stream.destroy(error);
  });
  source.pipe(meter.stream);

  const upload = new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: meter.stream,
      ContentLength: expected.size,
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      Metadata: { ...options.metadata, [FERRY_SHA256_METADATA]: expected.sha256 },
      ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
    },
    partSize,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    // We abort ourselves (see failUpload) so the original error survives a failing abort.
    leavePartsOnError: true,
  });
  const onAbort = (): void => void upload.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } catch (error) {
    source.destroy();
    return failUpload(client, options, upload, error, readError);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  // The bytes sent are the bytes hashed when the file was neither resized nor modified meanwhile
  // (hashing it a second time while sending cost as much as the upload on a busy machine).
  const after = await stat(options.filePath).catch(() => undefined);
  if (
    meter.bytes() !== expected.size ||
    after?.size !== expected.size ||
    after.mtimeMs !== expected.mtimeMs
  ) {
    throw verifyFailed(options, 'the file changed while it was being uploaded', {
      expectedBytes: expected.size,
      sentBytes: meter.bytes(),
    });
  }
  return verifyStored(client, options, expected);
}
