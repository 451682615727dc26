// Client construction (no server): the settings that keep ferry safe against custom endpoints.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { DEFAULT_S3_TIMEOUTS, type S3ConnectionSettings } from '../../../engine/io/s3/s3-connection.js';

const SECRET_CANARY = 'secret-canary-Zq81bX';

function settings(overrides: Partial<S3ConnectionSettings>): S3ConnectionSettings {
  return {
    name: 'conn',
    region: 'eu-west-1',
    forcePathStyle: false,
    checksumMode: 'when_required',
    auth: { kind: 'static', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET_CANARY },
    ...DEFAULT_S3_TIMEOUTS,
    ...overrides,
  };
}

function creationError(config: S3ConnectionSettings): FerryError {
  try {
    createS3Client(config);
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected createS3Client to throw');
}

describe('createS3Client', () => {
  it('turns off SDK default checksums when checksum mode is when_required', async () => {
    const client = createS3Client(settings({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }));
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(client.config.forcePathStyle).toBe(true);
    client.destroy();
  });

  it('keeps SDK checksums when explicitly when_supported', async () => {
    const client = createS3Client(settings({ checksumMode: 'when_supported' }));
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_SUPPORTED');
    client.destroy();
  });

  it('uses standard retries with the configured attempts and static credentials', async () => {
    const client = createS3Client(settings({ maxAttempts: 7 }));
    expect(await client.config.maxAttempts()).toBe(7);
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
    const credentials = await client.config.credentials();
    expect(credentials.accessKeyId).toBe('AKIAEXAMPLE');
    expect(credentials.sessionToken).toBeUndefined();
    client.destroy();
  });

  it('refuses the default credential chain on a custom endpoint, without leaking secrets', () => {
    const error = creationError(
      settings({ endpoint: 'https://minio.example:9000', auth: { kind: 'default' } }),
    );
    expect(error.code).toBe('S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT');
    expect(error.context.connection).toBe('conn');
    expect(error.message).toContain('conn');
    expect(error.hint).toContain('static keys by reference');
  });

  it('refuses assume_role on a custom endpoint (its source credentials are the default chain)', () => {
    const error = creationError(
      settings({
        endpoint: 'https://r2.example',
        auth: { kind: 'assume_role', roleArn: 'arn:aws:iam::1:role/x' },
      }),
    );
    expect(error.code).toBe('S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT');
  });

  it('sends AWS credentials to a custom endpoint only when the connection allows it', () => {
    const endpoint = 'https://bucket.vpce-0a1b.s3.eu-west-1.vpce.amazonaws.com';
    createS3Client(settings({ endpoint, auth: { kind: 'default', allowCustomEndpoint: true } })).destroy();
    const role = {
      kind: 'assume_role',
      roleArn: 'arn:aws:iam::111111111111:role/x',
      externalId: 'e1',
    } as const;
    expect(creationError(settings({ endpoint, auth: role })).code).toBe(
      'S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT',
    );
    createS3Client(settings({ endpoint, auth: { ...role, allowCustomEndpoint: true } })).destroy();
  });

  it('allows the default chain and assume_role against AWS itself', () => {
    createS3Client(settings({ auth: { kind: 'default' } })).destroy();
    createS3Client(
      settings({
        auth: { kind: 'assume_role', roleArn: 'arn:aws:iam::1:role/x', externalId: 'ext', sessionName: 's' },
      }),
    ).destroy();
  });
});
