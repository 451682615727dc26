/**
 * With `requestChecksumCalculation: WHEN_REQUIRED` the SDK sends no integrity header on PutObject and
 * UploadPart, and s3rver-like servers would store a corrupted body without complaint. This middleware
 * puts a Content-MD5 on those requests when the body is already in memory (lib-storage hands parts over
 * as buffers), so a real S3 rejects a body damaged in transit with BadDigest. An UploadPart then
 * goes with an unsigned payload: its signed Content-MD5 already binds the body.
 */

import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';

const COMMANDS_WITH_MD5 = new Set(['PutObjectCommand', 'UploadPartCommand']);

interface RequestLike {
  headers: Record<string, string>;
  body: unknown;
}

function isRequestLike(value: unknown): value is RequestLike {
  if (typeof value !== 'object' || value === null) return false;
  const headers = (value as { headers?: unknown }).headers;
  return typeof headers === 'object' && headers !== null && 'body' in value;
}

function hasIntegrityHeader(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((name) => {
    const lower = name.toLowerCase();
    return lower === 'content-md5' || lower.startsWith('x-amz-checksum-');
  });
}

function hasPayloadHash(headers: Record<string, string>): boolean {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'x-amz-content-sha256');
}

/** Adds Content-MD5 to PutObject and UploadPart requests whose body is a buffer or string. */
export function addContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request;
      if (
        context.commandName !== undefined &&
        COMMANDS_WITH_MD5.has(context.commandName) &&
        isRequestLike(request) &&
        !hasIntegrityHeader(request.headers) &&
        (request.body instanceof Uint8Array || typeof request.body === 'string')
      ) {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
        // A part's body is bound to the signature through its signed Content-MD5 (S3 rejects a body
        // that does not match it), so SigV4 need not hash every part again (the AWS CLI does the same).
        if (context.commandName === 'UploadPartCommand' && !hasPayloadHash(request.headers)) {
          request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        }
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'ferryContentMd5' },
  );
}
