/**
 * How an upload is proved: with checksums set to WHEN_REQUIRED the SDK checks nothing itself, and
 * s3rver-like servers store a body whose Content-MD5 is wrong, so ferry checks what the server kept.
 * A PutObject's ETag is the MD5 of the bytes the server received (unless the object is encrypted with
 * SSE-KMS or SSE-C): equal to the file's MD5 it proves length and content without another request.
 * Where the ETag cannot prove it (multipart, encrypted, not an MD5) a HeadObject must show the file's
 * length and its SHA-256 in `ferry-sha256`.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { headObject } from './head-object.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import type { UploadedObject, UploadFileOptions } from './upload-file-options.js';
import { formatS3Uri } from './wrap-s3-error.js';

/** Metadata key (without `x-amz-meta-`) holding the hex SHA-256 of the uploaded bytes. */
export const FERRY_SHA256_METADATA = 'ferry-sha256';

export interface ExpectedObject {
  size: number;
  sha256: string;
}

/** What a PutObject answered that tells whether its ETag is an MD5 of the body. */
export interface PutAnswer {
  ETag?: string | undefined;
  ServerSideEncryption?: string | undefined;
  SSECustomerAlgorithm?: string | undefined;
}

export function fileReadFailed(options: UploadFileOptions, cause: unknown): FerryError {
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

export function verifyFailed(
  options: UploadFileOptions,
  what: string,
  context: FerryErrorContext,
): FerryError {
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

/**
 * The PUT's ETag as a hex MD5 when it is one of the body: 32 hex digits on an object that is not
 * encrypted with SSE-KMS/DSSE or SSE-C (their ETags are not MD5s). Otherwise undefined.
 */
export function readEtagMd5(answer: PutAnswer): string | undefined {
  const etag = stripEtagQuotes(answer.ETag ?? '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(etag)) return undefined;
  if (answer.ServerSideEncryption?.startsWith('aws:kms') === true) return undefined;
  if (answer.SSECustomerAlgorithm !== undefined) return undefined;
  return etag;
}

/**
 * Proves a single PutObject: its ETag against the file's MD5 when the ETag is one, else a HEAD.
 * A different MD5 means the server stored other bytes than the file's (a body changed in transit on a
 * server that ignores Content-MD5): S3_UPLOAD_VERIFY_FAILED.
 */
export async function verifyPut(
  client: S3Client,
  options: UploadFileOptions,
  expected: ExpectedObject & { md5: string },
  answer: PutAnswer,
): Promise<UploadedObject> {
  const etagMd5 = readEtagMd5(answer);
  if (etagMd5 === undefined) return verifyStored(client, options, expected);
  if (etagMd5 !== expected.md5) {
    throw verifyFailed(options, 'the ETag the server answered is not the MD5 of the file', {
      expectedMd5: expected.md5,
      storedEtag: etagMd5,
    });
  }
  const { key } = options;
  return { key, size: expected.size, sha256: expected.sha256, etag: etagMd5, verifiedBy: 'etag' };
}

/** HeadObject must show the file's length and its SHA-256 in `ferry-sha256`. */
export async function verifyStored(
  client: S3Client,
  options: UploadFileOptions,
  expected: ExpectedObject,
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
  return { key, size: expected.size, sha256: expected.sha256, etag: head.etag, verifiedBy: 'head' };
}
