// Pure mapping tests (no server); they live next to the S3 integration tests they complement.
import { inspect } from 'node:util';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { wrapS3Error } from '../../../engine/io/s3/wrap-s3-error.js';

const target = { operation: 'GetObject', connection: 'src', bucket: 'b', key: 'k/x.csv' };

function serviceError(name: string, status: number, extra: Record<string, unknown> = {}): S3ServiceException {
  const error = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'REQ123', attempts: 1 },
    message: `server says ${name}`,
  });
  return Object.assign(error, extra);
}

function networkError(code: string, message = `connect ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('wrapS3Error', () => {
  const cases: Array<[string, unknown, string, boolean]> = [
    ['403 AccessDenied', serviceError('AccessDenied', 403), 'S3_ACCESS_DENIED', false],
    ['403 without a body (HEAD: name Unknown)', serviceError('Unknown', 403), 'S3_ACCESS_DENIED', false],
    ['InvalidAccessKeyId', serviceError('InvalidAccessKeyId', 403), 'S3_INVALID_CREDENTIALS', false],
    ['ExpiredToken', serviceError('ExpiredToken', 400), 'S3_INVALID_CREDENTIALS', false],
    ['SignatureDoesNotMatch', serviceError('SignatureDoesNotMatch', 403), 'S3_SIGNATURE_MISMATCH', false],
    ['RequestTimeTooSkewed', serviceError('RequestTimeTooSkewed', 403), 'S3_SIGNATURE_MISMATCH', false],
    ['NoSuchBucket', serviceError('NoSuchBucket', 404), 'S3_NO_SUCH_BUCKET', false],
    ['NoSuchKey', serviceError('NoSuchKey', 404), 'S3_NO_SUCH_KEY', false],
    ['404 NotFound on an object (HEAD)', serviceError('NotFound', 404), 'S3_NO_SUCH_KEY', false],
    ['503 SlowDown', serviceError('SlowDown', 503), 'S3_THROTTLED', true],
    ['503 ServiceUnavailable', serviceError('ServiceUnavailable', 503), 'S3_THROTTLED', true],
    ['429', serviceError('TooManyRequests', 429), 'S3_THROTTLED', true],
    ['500 InternalError', serviceError('InternalError', 500), 'S3_SERVER_ERROR', true],
    [
      '503 InternalError (200 with <Error> body)',
      serviceError('InternalError', 503),
      'S3_SERVER_ERROR',
      true,
    ],
    ['502', serviceError('BadGateway', 502), 'S3_SERVER_ERROR', true],
    ['501 NotImplemented', serviceError('NotImplemented', 501), 'S3_NOT_IMPLEMENTED', false],
    [
      'SDK TimeoutError',
      Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }),
      'S3_TIMEOUT',
      true,
    ],
    ['400 RequestTimeout', serviceError('RequestTimeout', 400), 'S3_TIMEOUT', true],
    ['ETIMEDOUT', networkError('ETIMEDOUT'), 'S3_TIMEOUT', true],
    ['ECONNRESET', networkError('ECONNRESET', 'socket hang up'), 'S3_NETWORK', true],
    ['ECONNREFUSED', networkError('ECONNREFUSED'), 'S3_NETWORK', true],
    ['ENOTFOUND', networkError('ENOTFOUND'), 'S3_NETWORK', false],
    ['body "aborted"', new Error('aborted'), 'S3_NETWORK', true],
    ['AbortError', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'S3_ABORTED', false],
    ['400 InvalidArgument', serviceError('InvalidArgument', 400), 'S3_UNEXPECTED', false],
    ['a string', 'boom', 'S3_UNEXPECTED', false],
  ];

  it.each(cases)('%s → %s', (_label, error, code, retryable) => {
    const wrapped = wrapS3Error(error, target);
    expect(wrapped).toBeInstanceOf(FerryError);
    expect(wrapped.code).toBe(code);
    expect(wrapped.retryable).toBe(retryable);
    expect(wrapped.message).toContain('GetObject s3://b/k/x.csv');
    expect(wrapped.context).toMatchObject({
      operation: 'GetObject',
      connection: 'src',
      bucket: 'b',
      key: 'k/x.csv',
    });
  });

  it('keeps the AWS error name, HTTP status, request id and attempts in the context', () => {
    const error = serviceError('AccessDenied', 403);
    error.$metadata.attempts = 1;
    const wrapped = wrapS3Error(error, target);
    expect(wrapped.context).toEqual({
      operation: 'GetObject',
      connection: 'src',
      bucket: 'b',
      key: 'k/x.csv',
      awsErrorName: 'AccessDenied',
      httpStatus: 403,
      requestId: 'REQ123',
      attempts: 1,
    });
    expect(wrapped.message).toContain('allow s3:GetObject on arn:aws:s3:::b/k/x.csv');
    expect(wrapped.message).toContain('connection "src"');
  });

  it('names s3:ListBucket on the bucket (with the prefix) for a denied listing', () => {
    const wrapped = wrapS3Error(serviceError('AccessDenied', 403), {
      operation: 'ListObjectsV2',
      connection: 'src',
      bucket: 'b',
      key: 'in/',
    });
    expect(wrapped.message).toContain('allow s3:ListBucket on arn:aws:s3:::b (prefix "in/")');
  });

  it('treats a 404 NotFound without a key as a missing bucket', () => {
    const wrapped = wrapS3Error(serviceError('NotFound', 404), {
      operation: 'HeadBucket',
      connection: 'c',
      bucket: 'b',
    });
    expect(wrapped.code).toBe('S3_NO_SUCH_BUCKET');
    expect(wrapped.context.key).toBeUndefined();
  });

  it('puts the checksum hint on 501', () => {
    expect(wrapS3Error(serviceError('NotImplemented', 501), target).hint).toBe(
      'Set `checksum: when_required` on connection "src".',
    );
  });

  it('returns a FerryError unchanged', () => {
    const original = new FerryError('S3_TIMEOUT', 'already wrapped');
    expect(wrapS3Error(original, target)).toBe(original);
  });

  it('keeps no credential echo, raw request or Authorization header in the cause', () => {
    const canaryKeyId = 'AKIACANARY0000000042';
    const canarySignature = 'deadbeefcafef00d'.repeat(4);
    const error = serviceError('SignatureDoesNotMatch', 403, {
      AWSAccessKeyId: canaryKeyId,
      StringToSign: `AWS4-HMAC-SHA256\n${canaryKeyId}`,
      SignatureProvided: canarySignature,
    });
    // Like the SDK's deserializer: a hidden, non-configurable $response that holds the request headers.
    Object.defineProperty(error, '$response', {
      value: {
        req: { headers: { authorization: `Credential=${canaryKeyId}/x, Signature=${canarySignature}` } },
      },
      enumerable: false,
      configurable: false,
    });

    const wrapped = wrapS3Error(error, target);

    expect(wrapped.code).toBe('S3_SIGNATURE_MISMATCH');
    const rendered = [
      inspect(wrapped, { depth: 20, showHidden: true }),
      JSON.stringify(wrapped.toJSON()),
      wrapped.message,
    ].join('\n');
    expect(rendered).not.toContain(canaryKeyId);
    expect(rendered).not.toContain(canarySignature);
    const cause = wrapped.cause as Error & { $metadata?: unknown };
    expect(cause.name).toBe('SignatureDoesNotMatch');
    expect(cause.$metadata).toMatchObject({ httpStatusCode: 403 });
  });

  it('prefers the failed command recorded by the client over the caller-given operation', () => {
    const error = serviceError('InternalError', 500);
    Object.defineProperty(error, Symbol.for('ferry.s3.failedCommand'), { value: 'UploadPart' });
    const wrapped = wrapS3Error(error, { ...target, operation: 'PutObject' });
    expect(wrapped.context.operation).toBe('UploadPart');
    expect(wrapped.message).toMatch(/^UploadPart s3:\/\/b\/k\/x\.csv/);
  });
});
