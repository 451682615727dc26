import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets, registerSecret } from '../../../engine/errors/redact-secrets.js';

const canary = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

describe('redactSecrets', () => {
  it('replaces every registered value, also URL-encoded, longest first', () => {
    const short = canary('tok');
    const long = `${short}/with+more`;
    registerSecret(short);
    registerSecret(long);
    const text = `a ${long} b ${short} c X-Amz-Security-Token=${encodeURIComponent(long)}`;
    expect(redactSecrets(text)).toBe('a *** b *** c X-Amz-Security-Token=***');
  });

  it('ignores values too short to be secrets (they would garble every message)', () => {
    registerSecret('abc');
    registerSecret(undefined);
    expect(redactSecrets('abc abcd')).toBe('abc abcd');
  });

  it('shows at most the last 4 characters of an access key id, and no SigV4 signature', () => {
    const signature = 'a'.repeat(64);
    expect(
      redactSecrets(
        `Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, Signature=${signature} ASIAY34FZKBOKMUTVV7A`,
      ),
    ).toBe('Credential=***MPLE/20260101/us-east-1/s3/aws4_request, Signature=*** ***VV7A');
    expect(redactSecrets(`?X-Amz-Signature=${signature}&x=1`)).toBe('?X-Amz-Signature=***&x=1');
  });

  it('leaves ordinary text alone', () => {
    const text =
      'ListObjectsV2 s3://bucket/prefix failed: 64-hex 0123456789abcdef etag "d41d8cd98f00b204e9800998ecf8427e"';
    expect(redactSecrets(text)).toBe(text);
  });
});
