/**
 * GetObject of a byte range into memory: the first byte of an object (`ferry check`: may these
 * credentials read it?) or the first megabyte of a large file (`ferry discover`: enough to sniff its
 * dialect). Small by design: the caller gives the range, and the body is capped at that length, so a
 * server that ignores `Range` and sends the whole object cannot fill memory. A body that stops
 * arriving is bounded by the client's socket timeout.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import { formatS3Uri, wrapS3Error } from './wrap-s3-error.js';

export interface ReadObjectRangeOptions {
  connection: string;
  bucket: string;
  key: string;
  /** First byte (0-based). */
  start: number;
  /** Last byte, inclusive (HTTP Range semantics); at most 16 MiB after `start`. */
  end: number;
  signal?: AbortSignal;
}

export interface ObjectRange {
  bytes: Buffer;
  /** The object's full size, from Content-Range (or Content-Length when the server sent it all). */
  objectSize: number | undefined;
  /** Whether the server answered with a range (206); false when it sent the object from the start. */
  partial: boolean;
}

const MAX_RANGE_BYTES = 16 * 1024 * 1024;

function objectSizeOf(
  contentRange: string | undefined,
  contentLength: number | undefined,
): number | undefined {
  const total = contentRange === undefined ? undefined : /\/(\d+)\s*$/.exec(contentRange)?.[1];
  return total !== undefined ? Number(total) : contentLength;
}

/** Reads bytes `start..end` (inclusive) of an object; fewer when the object is shorter. */
export async function readObjectRange(
  client: S3Client,
  options: ReadObjectRangeOptions,
): Promise<ObjectRange> {
  const { connection, bucket, key, start, end } = options;
  const wanted = end - start + 1;
  if (!Number.isSafeInteger(start) || start < 0 || wanted < 1 || wanted > MAX_RANGE_BYTES) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `A range read of ${formatS3Uri(bucket, key)} asked for bytes ${start}-${end}.`,
      {
        context: { operation: 'GetObject', connection, bucket, key },
      },
    );
  }
  let response;
  try {
    response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
  }
  const body = response.Body;
  if (!(body instanceof Readable)) {
    throw new FerryError(
      'S3_UNEXPECTED',
      `GetObject ${formatS3Uri(bucket, key)} answered without a readable body.`,
      {
        context: { operation: 'GetObject', connection, bucket, key },
      },
    );
  }
  const partial = response.ContentRange !== undefined;
  // A server that ignores Range sends the object from byte 0: read up to the end of the range only.
  const needed = partial ? wanted : start + wanted;
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= needed) break;
    }
  } catch (error) {
    throw wrapS3Error(error, { operation: 'GetObject', connection, bucket, key });
  } finally {
    body.destroy();
  }
  const all = Buffer.concat(chunks);
  const bytes = partial ? all.subarray(0, wanted) : all.subarray(start, start + wanted);
  return { bytes, objectSize: objectSizeOf(response.ContentRange, response.ContentLength), partial };
}
