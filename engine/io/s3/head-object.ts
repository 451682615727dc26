/**
 * HeadObject with ferry's error wrapping: used to verify an upload (length and ferry-sha256 metadata)
 * and to check an object before downloading it.
 */

import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export interface HeadObjectOptions {
  connection: string;
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

export interface S3ObjectHead {
  size: number;
  /** ETag without quotes. */
  etag: string;
  lastModified: Date | undefined;
  contentType: string | undefined;
  /** User metadata, keys lower-cased and without the `x-amz-meta-` prefix. */
  metadata: Record<string, string>;
}

export async function headObject(client: S3Client, options: HeadObjectOptions): Promise<S3ObjectHead> {
  const { connection, bucket, key } = options;
  let response;
  try {
    response = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    throw wrapS3Error(error, { operation: 'HeadObject', connection, bucket, key });
  }
  if (response.ContentLength === undefined) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `HeadObject ${formatS3Uri(bucket, key)} answered without a Content-Length.`,
      { context: { operation: 'HeadObject', connection, bucket, key } },
    );
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.Metadata ?? {})) {
    metadata[name.toLowerCase()] = value;
  }
  return {
    size: response.ContentLength,
    etag: stripEtagQuotes(response.ETag ?? ''),
    lastModified: response.LastModified,
    contentType: response.ContentType,
    metadata,
  };
}
