/**
 * Uploads one local file and proves it landed: the file's SHA-256 travels in the `ferry-sha256`
 * metadata, and a HeadObject afterwards must show the same length and hash. With checksums set to
 * WHEN_REQUIRED the SDK checks nothing itself, so this is ferry's check. A file that fits in one part
 * is read once and sent in one PutObject; a larger one goes multipart with lib-storage, parts in
 * parallel (queueSize), and must not change between its digest and the end of the upload.
 * A failed multipart upload is aborted by us, not by lib-storage, because lib-storage lets a failing
 * abort (s3rver answers 405) replace the error that caused it.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { headObject } from './head-object.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

/** Metadata key (without `x-amz-meta-`) holding the hex SHA-256 of the uploaded bytes. */
export const FERRY_SHA256_METADATA = 'ferry-sha256';

const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** S3's minimum part size (all parts but the last); lib-storage refuses anything smaller. */
const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 8;
/** Read-ahead of the local file: fewer, larger chunks to hash and to cut into parts. */
const READ_CHUNK_BYTES = 1024 * 1024;

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
  /** When the digest was taken: a file modified since is not the one hashed. */
  mtimeMs: number;
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
    const hash = createHash('sha256');
    await pipeline(createReadStream(options.filePath, { highWaterMark: READ_CHUNK_BYTES }), hash);
    const sha256 = hash.digest('hex');
    return { size: before.size, sha256, mtimeMs: before.mtimeMs };
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
  const { size } = await stat(options.filePath).catch((error: unknown) => {
    throw fileReadFailed(options, error);
  });
  if (size <= partSize) return putWholeFile(client, options);
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

/**
 * A file that fits in one part: read once, hashed from memory and sent in one PutObject (the client
 * adds Content-MD5 for a buffer body), then verified like any upload.
 */
async function putWholeFile(client: S3Client, options: UploadFileOptions): Promise<UploadedObject> {
  const { bucket, key, connection } = options;
  const body = await readFile(options.filePath).catch((error: unknown) => {
    throw fileReadFailed(options, error);
  });
  const expected = { size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        Metadata: { ...options.metadata, [FERRY_SHA256_METADATA]: expected.sha256 },
        ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
      }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    throw wrapS3Error(error, { operation: 'PutObject', connection, bucket, key });
  }
  return verifyStored(client, options, expected);
}

/** HeadObject must show the file's length and its SHA-256 in `ferry-sha256`. */
async function verifyStored(
  client: S3Client,
  options: UploadFileOptions,
  expected: { size: number; sha256: string },
): Promise<UploadedObject> {
  const { bucket, key, connection } = options;
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
