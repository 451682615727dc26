/**
 * Uploads one local file with lib-storage (single PUT or multipart) and proves it landed: the file's
 * SHA-256 travels in the `ferry-sha256` metadata, and a HeadObject afterwards must show the same length
 * and hash. With checksums set to WHEN_REQUIRED the SDK checks nothing itself, so this is ferry's check.
 * A failed multipart upload is aborted by us, not by lib-storage, because lib-storage lets a failing
 * abort (s3rver answers 405) replace the error that caused it.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { headObject } from './head-object.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

/** Metadata key (without `x-amz-meta-`) holding the hex SHA-256 of the uploaded bytes. */
export const FERRY_SHA256_METADATA = 'ferry-sha256';

const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** S3's minimum part size (all parts but the last); lib-storage refuses anything smaller. */
const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;

export interface UploadFileOptions {
  /** Connection name, for error messages. */
  connection: string;
  bucket: string;
  key: string;
  filePath: string;
  contentType?: string;
  /** User metadata; `ferry-sha256` is always set by ferry. */
  metadata?: Record<string, string>;
  /** Multipart part size, at least 5 MiB. Files up to this size go in one PUT. */
  partSizeBytes?: number;
  /** Parts in flight at once. */
  queueSize?: number;
  /**
   * `*`: create only; an existing object makes the upload fail with 412 PreconditionFailed (sent on
   * the PUT, or on CompleteMultipartUpload) where the endpoint enforces it.
   */
  ifNoneMatch?: '*';
  signal?: AbortSignal;
}

export interface UploadedObject {
  key: string;
  size: number;
  /** Hex SHA-256 of the file, as stored in `ferry-sha256`. */
  sha256: string;
  /** ETag without quotes (not a content hash for multipart objects). */
  etag: string;
}

interface FileDigest {
  size: number;
  sha256: string;
}

function fileReadFailed(options: UploadFileOptions, cause: unknown): FerryError {
  return new FerryError(
    'FILE_READ_FAILED',
    `Could not read ${options.filePath} to upload it to ${formatS3Uri(options.bucket, options.key)}. Check that the file exists and is readable.`,
    {
      context: {
        operation: 'PutObject',
        connection: options.connection,
        bucket: options.bucket,
        key: options.key,
        file: options.filePath,
      },
      cause,
    },
  );
}

function createDigestStream(): { stream: Transform; digest: () => FileDigest } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, digest: () => ({ size, sha256: hash.digest('hex') }) };
}

async function digestFile(options: UploadFileOptions): Promise<FileDigest> {
  try {
    const { size } = await stat(options.filePath);
    const hash = createHash('sha256');
    await pipeline(createReadStream(options.filePath), hash);
    const sha256 = hash.digest('hex');
    return { size, sha256 };
  } catch (error) {
    throw fileReadFailed(options, error);
  }
}

function verifyFailed(options: UploadFileOptions, what: string, context: FerryErrorContext): FerryError {
  return new FerryError(
    'S3_UPLOAD_VERIFY_FAILED',
    `Upload of ${options.filePath} to ${formatS3Uri(options.bucket, options.key)} did not verify: ${what}. The object must not be trusted; run again to overwrite it.`,
    {
      context: {
        operation: 'PutObject',
        connection: options.connection,
        bucket: options.bucket,
        key: options.key,
        file: options.filePath,
        ...context,
      },
      retryable: true,
    },
  );
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
 * Uploads `filePath` to `bucket/key` and verifies it with HeadObject. Throws `S3_UPLOAD_VERIFY_FAILED`
 * when the stored length or `ferry-sha256` differ (or the file changed while uploading),
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
  const expected = await digestFile(options);

  const source = createReadStream(options.filePath);
  const meter = createDigestStream();
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

  const sent = meter.digest();
  if (sent.size !== expected.size || sent.sha256 !== expected.sha256) {
    throw verifyFailed(options, 'the file changed while it was being uploaded', {
      expectedBytes: expected.size,
      sentBytes: sent.size,
    });
  }
  const head = await headObject(client, {
    connection,
    bucket,
    key,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (head.size !== expected.size) {
    throw verifyFailed(options, `the stored object has ${head.size} bytes, the file ${expected.size}`, {
      expectedBytes: expected.size,
      storedBytes: head.size,
    });
  }
  const storedSha256 = head.metadata[FERRY_SHA256_METADATA];
  if (storedSha256 !== expected.sha256) {
    throw verifyFailed(
      options,
      storedSha256 === undefined
        ? `the stored object has no ${FERRY_SHA256_METADATA} metadata`
        : `the stored ${FERRY_SHA256_METADATA} differs from the file's`,
      { expectedSha256: expected.sha256, ...(storedSha256 === undefined ? {} : { storedSha256 }) },
    );
  }
  return { key, size: expected.size, sha256: expected.sha256, etag: head.etag };
}
