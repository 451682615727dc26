/**
 * auth: assume_role through real parts: the AWS SDK's STS client talks to a local STS stand-in, and the
 * S3 requests signed with the session it hands out go through the fault proxy (which records their
 * session token) to s3rver. Checks what AssumeRole carries (role, external id, session name, duration,
 * the source identity's key), that the session is what signs S3 requests, that it is cached and renewed
 * before it expires, and that a cross-account role without an external id is refused before AssumeRole.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { listObjects } from '../../../engine/io/s3/list-objects.js';
import type { S3AssumeRoleAuth } from '../../../engine/io/s3/s3-connection.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startStsStandIn, type StsStandIn } from '../../harness/sts-stand-in.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const ROLE_SAME_ACCOUNT = 'arn:aws:iam::111111111111:role/ferry-reader';
const ROLE_OTHER_ACCOUNT = 'arn:aws:iam::210987654321:role/ferry-reader';
const SOURCE = {
  kind: 'static',
  accessKeyId: 'AKIASOURCEKEY0000001',
  secretAccessKey: 'source-secret',
} as const;

let server: S3TestServer;
let proxy: FaultProxy;
let bucket: string;
const standIns: StsStandIn[] = [];

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  bucket = uniqueBucket('role');
  await server.createBucket(bucket);
});

afterAll(async () => {
  await proxy.close();
  await server.stop();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(standIns.splice(0).map((sts) => sts.close()));
});

async function standIn(options: Parameters<typeof startStsStandIn>[0] = {}): Promise<StsStandIn> {
  const sts = await startStsStandIn(options);
  standIns.push(sts);
  return sts;
}

function roleClient(sts: StsStandIn, auth: Omit<S3AssumeRoleAuth, 'kind' | 'stsEndpoint'>) {
  return createS3Client(
    createTestConnection({
      name: 'vendor',
      endpoint: proxy.endpoint,
      auth: { kind: 'assume_role', stsEndpoint: sts.endpoint, allowCustomEndpoint: true, ...auth },
    }),
  );
}

/** Session tokens of the S3 requests the proxy saw since `from`. */
function s3Tokens(from: number): (string | undefined)[] {
  return proxy.requests.slice(from).map((request) => {
    const token = request.headers['x-amz-security-token'];
    return typeof token === 'string' ? token : undefined;
  });
}

async function failure(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FerryError);
  return error as FerryError;
}

describe('assume_role', () => {
  it('assumes the role with the external id, signed by the source keys, and signs S3 requests with the session', async () => {
    const sts = await standIn({ requireExternalId: 'acme-ferry-2024' });
    const client = roleClient(sts, {
      roleArn: ROLE_OTHER_ACCOUNT,
      externalId: 'acme-ferry-2024',
      sessionName: 'ferry-vendor',
      durationSeconds: 900,
      source: SOURCE,
    });
    const from = proxy.requests.length;
    try {
      await listObjects(client, { connection: 'vendor', bucket, prefix: 'a/' });
      await listObjects(client, { connection: 'vendor', bucket, prefix: 'b/' });
    } finally {
      client.destroy();
    }
    // One session for both calls (cached); no GetCallerIdentity because an external id is set.
    expect(sts.requests.map((r) => r.action)).toEqual(['AssumeRole']);
    expect(sts.requests[0]).toMatchObject({
      accessKeyId: SOURCE.accessKeyId,
      params: {
        RoleArn: ROLE_OTHER_ACCOUNT,
        ExternalId: 'acme-ferry-2024',
        RoleSessionName: 'ferry-vendor',
        DurationSeconds: '900',
      },
    });
    expect(s3Tokens(from)).toEqual(['session-1', 'session-1']);
  });

  it('asks for a new session before the current one expires', async () => {
    // Sessions that end in 2 minutes are inside the SDK's 5-minute refresh window: each request renews.
    const sts = await standIn({ sessionLifetimeMs: 120_000 });
    const client = roleClient(sts, { roleArn: ROLE_OTHER_ACCOUNT, externalId: 'x-1', source: SOURCE });
    const from = proxy.requests.length;
    try {
      for (const prefix of ['a/', 'b/', 'c/'])
        await listObjects(client, { connection: 'vendor', bucket, prefix });
    } finally {
      client.destroy();
    }
    expect(sts.sessions.length).toBeGreaterThanOrEqual(3);
    const tokens = s3Tokens(from);
    expect(tokens).toHaveLength(3);
    // Each request used a session that had not expired, and a newer one than the request before.
    const issued = sts.sessions.map((s) => s.sessionToken);
    const order = tokens.map((token) => issued.indexOf(token ?? ''));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(3);
  });

  it('refuses a cross-account role without an external id before calling AssumeRole', async () => {
    const sts = await standIn({ callerAccount: '111111111111' });
    const client = roleClient(sts, { roleArn: ROLE_OTHER_ACCOUNT, source: SOURCE });
    const from = proxy.requests.length;
    try {
      const error = await failure(listObjects(client, { connection: 'vendor', bucket, prefix: '' }));
      expect(error.code).toBe('AUTH_EXTERNAL_ID_REQUIRED');
      expect(error.context).toMatchObject({ roleAccount: '210987654321', sourceAccount: '111111111111' });
    } finally {
      client.destroy();
    }
    expect(sts.requests.map((r) => r.action)).toEqual(['GetCallerIdentity']);
    expect(sts.requests[0]?.accessKeyId).toBe(SOURCE.accessKeyId);
    expect(proxy.requests.length).toBe(from);
  });

  it('assumes a role in the source identity’s own account without an external id (checked once)', async () => {
    const sts = await standIn({ callerAccount: '111111111111' });
    const client = roleClient(sts, { roleArn: ROLE_SAME_ACCOUNT, source: SOURCE });
    try {
      await listObjects(client, { connection: 'vendor', bucket, prefix: 'a/' });
      await listObjects(client, { connection: 'vendor', bucket, prefix: 'b/' });
    } finally {
      client.destroy();
    }
    expect(sts.requests.map((r) => r.action)).toEqual(['GetCallerIdentity', 'AssumeRole']);
    expect(sts.requests[1]?.params['ExternalId']).toBeUndefined();
    expect(sts.requests[1]?.params['RoleSessionName']).toBe('ferry');
  });

  it('reports a refused AssumeRole as AUTH_ASSUME_ROLE_FAILED, not as an S3 access problem', async () => {
    const sts = await standIn({ requireExternalId: 'the-right-one' });
    const client = roleClient(sts, {
      roleArn: ROLE_OTHER_ACCOUNT,
      externalId: 'a-wrong-one',
      source: SOURCE,
    });
    const from = proxy.requests.length;
    try {
      const error = await failure(listObjects(client, { connection: 'vendor', bucket, prefix: '' }));
      expect(error.code).toBe('AUTH_ASSUME_ROLE_FAILED');
      expect(error.context).toMatchObject({
        connection: 'vendor',
        operation: 'AssumeRole',
        roleArn: ROLE_OTHER_ACCOUNT,
        awsErrorName: 'AccessDenied',
        httpStatus: 403,
      });
      expect(JSON.stringify(error.toJSON())).not.toContain(SOURCE.secretAccessKey);
    } finally {
      client.destroy();
    }
    expect(proxy.requests.length).toBe(from);
  });

  it('takes the source from the default chain (here: environment variables) when allowed on a custom STS endpoint', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFROMENVIRONMENT1');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    const sts = await standIn();
    const client = roleClient(sts, {
      roleArn: ROLE_OTHER_ACCOUNT,
      externalId: 'x-1',
      source: { kind: 'default', allowCustomEndpoint: true },
    });
    try {
      await listObjects(client, { connection: 'vendor', bucket, prefix: '' });
    } finally {
      client.destroy();
    }
    expect(sts.requests.map((r) => [r.action, r.accessKeyId])).toEqual([
      ['AssumeRole', 'AKIAFROMENVIRONMENT1'],
    ]);
  });

  it('refuses a default-chain source towards a custom STS endpoint unless allowed', async () => {
    const sts = await standIn();
    expect(() => roleClient(sts, { roleArn: ROLE_OTHER_ACCOUNT, externalId: 'x-1' })).toThrow(
      expect.objectContaining({ code: 'S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT' }),
    );
    expect(sts.requests).toHaveLength(0);
  });
});
