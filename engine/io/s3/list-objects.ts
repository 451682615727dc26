/**
 * Lists every object under a prefix with ListObjectsV2, following continuation tokens. A failure on any
 * page rejects the whole listing: a plan built from a partial listing would silently skip files (I1).
 */

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import { stripEtagQuotes } from './strip-etag-quotes.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export interface S3ObjectInfo {
  key: string;
  size: number;
  /** ETag without quotes. Not a content hash (multipart ETags are not MD5s). */
  etag: string;
  lastModified: Date;
}

export interface ListObjectsOptions {
  /** Connection name, for error messages. */
  connection: string;
  bucket: string;
  prefix: string;
  signal?: AbortSignal;
  /** Keys per page (S3 caps it at 1000). Only tests need to change it. */
  maxKeysPerPage?: number;
}

function unexpected(options: ListObjectsOptions, message: string): FerryError {
  return new FerryError(
    'S3_UNEXPECTED',
    `ListObjectsV2 ${formatS3Uri(options.bucket, options.prefix)} ${message}. The listing is incomplete, so nothing was planned from it.`,
    {
      context: {
        operation: 'ListObjectsV2',
        connection: options.connection,
        bucket: options.bucket,
        key: options.prefix,
      },
    },
  );
}

/**
 * The pages of a listing, as they arrive (for progress, or to stop after the first page). A failure on
 * any page rejects: a caller that wants everything must not take the pages it got as the listing.
 */
export async function* listObjectPages(
  client: S3Client,
  options: ListObjectsOptions,
): AsyncGenerator<S3ObjectInfo[], void, undefined> {
  const { bucket, prefix } = options;
  const seenTokens = new Set<string>();
  let continuationToken: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
          ...(options.maxKeysPerPage === undefined ? {} : { MaxKeys: options.maxKeysPerPage }),
        }),
        options.signal === undefined ? {} : { abortSignal: options.signal },
      );
    } catch (error) {
      throw wrapS3Error(error, {
        operation: 'ListObjectsV2',
        connection: options.connection,
        bucket,
        key: prefix,
      });
    }
    const objects: S3ObjectInfo[] = [];
    for (const entry of page.Contents ?? []) {
      if (entry.Key === undefined || entry.Size === undefined || entry.LastModified === undefined) {
        throw unexpected(options, 'returned an entry without Key, Size or LastModified');
      }
      objects.push({
        key: entry.Key,
        size: entry.Size,
        etag: stripEtagQuotes(entry.ETag ?? ''),
        lastModified: entry.LastModified,
      });
    }
    yield objects;
    if (page.IsTruncated !== true) return;
    const next = page.NextContinuationToken;
    if (next === undefined || next === '') {
      throw unexpected(options, 'said the listing is truncated but gave no continuation token');
    }
    if (seenTokens.has(next)) {
      throw unexpected(options, 'returned the same continuation token twice');
    }
    seenTokens.add(next);
    continuationToken = next;
  }
}

/** All objects under `prefix`, in the order S3 returns them (UTF-8 binary key order). */
export async function listObjects(client: S3Client, options: ListObjectsOptions): Promise<S3ObjectInfo[]> {
  const objects: S3ObjectInfo[] = [];
  for await (const page of listObjectPages(client, options)) objects.push(...page);
  return objects;
}
