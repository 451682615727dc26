/**
 * Connection settings for tests against s3rver (directly or through the fault proxy): s3rver's fixed
 * keys, path-style addressing, checksums only when required, and timeouts that tests can shrink.
 */

import { DEFAULT_S3_TIMEOUTS, type S3ConnectionSettings } from '../../engine/io/s3/s3-connection.js';

/** s3rver accepts exactly this key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function createTestConnection(
  options: { endpoint: string } & Partial<Omit<S3ConnectionSettings, 'endpoint'>>,
): S3ConnectionSettings {
  return {
    name: 'test-s3',
    region: 'us-east-1',
    forcePathStyle: true,
    checksumMode: 'when_required',
    auth: { kind: 'static', ...S3RVER_CREDENTIALS },
    ...DEFAULT_S3_TIMEOUTS,
    maxAttempts: 3,
    ...options,
  };
}
