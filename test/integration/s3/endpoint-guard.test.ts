/**
 * The run-time metadata-address guard: a custom endpoint whose *name* resolves to a link-local or
 * metadata address is refused before the first request (S3_FORBIDDEN_ENDPOINT_ADDRESS), also when the
 * answer changes between the check and the connection (DNS rebinding), and also for an assumed role's
 * STS endpoint — before any credentials are asked for. /etc/hosts is not ours to edit, so the tests
 * inject the resolver; a name that resolves to 127.0.0.1 reaching the fault proxy shows that the
 * injected resolver is what the connections use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import type { HostResolver } from '../../../engine/io/s3/guard-endpoint-host.js';
import { listObjects } from '../../../engine/io/s3/list-objects.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startStsStandIn } from '../../harness/sts-stand-in.js';
import { createTestConnection } from '../../harness/test-connection.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  bucket = uniqueBucket('guard');
  await server.createBucket(bucket);
});

afterAll(async () => {
  await proxy.close();
  await server.stop();
});

/** A resolver that answers from a table; each name's answers are used in turn, the last one repeating. */
function resolverFrom(table: Record<string, string[][]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (hostname: string): Promise<string[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers)
      return Promise.reject(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const seen = calls.filter((name) => name === hostname).length;
    return Promise.resolve(answers[Math.min(seen, answers.length) - 1] ?? []);
  };
  return Object.assign(resolve, { calls });
}

function clientFor(host: string, resolveHost: HostResolver) {
  return createS3Client(createTestConnection({ name: 'vendor', endpoint: `http://${host}:${proxy.port}` }), {
    resolveHost,
  });
}

async function listFailure(client: ReturnType<typeof createS3Client>): Promise<FerryError> {
  try {
    await listObjects(client, { connection: 'vendor', bucket, prefix: '' });
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  } finally {
    client.destroy();
  }
  throw new Error('expected the listing to be refused');
}

describe('endpoint host guard (run time)', () => {
  it('connects through the resolver it is given (a name for 127.0.0.1 reaches the proxy)', async () => {
    const resolveHost = resolverFrom({ 's3.local.test': [['127.0.0.1']] });
    const client = clientFor('s3.local.test', resolveHost);
    const from = proxy.requests.length;
    // s3rver reads a host name as a virtual-hosted bucket and answers NoSuchBucket: the point here is
    // only that the request got there.
    await listObjects(client, { connection: 'vendor', bucket, prefix: '' })
      .catch(() => undefined)
      .finally(() => client.destroy());
    expect(proxy.requests.slice(from).map((r) => r.headers.host)).toEqual([`s3.local.test:${proxy.port}`]);
    expect(resolveHost.calls.length).toBeGreaterThanOrEqual(2); // the check, then the connection
  });

  it.each(['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '127.0.0.1 169.254.170.2'])(
    'refuses a name that resolves to %s before any request',
    async (answer) => {
      const client = clientFor('innocent.test', resolverFrom({ 'innocent.test': [answer.split(' ')] }));
      const from = proxy.requests.length;
      const error = await listFailure(client);
      expect(error.code).toBe('S3_FORBIDDEN_ENDPOINT_ADDRESS');
      expect(error.context).toMatchObject({ connection: 'vendor', host: 'innocent.test' });
      expect(proxy.requests.length).toBe(from);
    },
  );

  it('refuses an answer that changes to a metadata address between the check and the connection', async () => {
    const resolveHost = resolverFrom({ 'rebind.test': [['127.0.0.1'], ['169.254.169.254']] });
    const client = clientFor('rebind.test', resolveHost);
    const from = proxy.requests.length;
    const error = await listFailure(client);
    expect(error.code).toBe('S3_FORBIDDEN_ENDPOINT_ADDRESS');
    expect(error.context).toMatchObject({ address: '169.254.169.254' });
    expect(proxy.requests.length).toBe(from);
  });

  it('refuses a metadata host written out before anything is resolved', () => {
    const resolveHost = resolverFrom({});
    expect(() => clientFor('instance-data', resolveHost)).toThrow(
      expect.objectContaining({ code: 'S3_FORBIDDEN_ENDPOINT_ADDRESS' }),
    );
    expect(() => clientFor('[::ffff:169.254.169.254]', resolveHost)).toThrow(
      expect.objectContaining({ code: 'S3_FORBIDDEN_ENDPOINT_ADDRESS' }),
    );
    expect(resolveHost.calls).toEqual([]);
  });

  it('checks the S3 endpoint before asking STS for a role session, and the STS endpoint too', async () => {
    const sts = await startStsStandIn();
    try {
      const stsPort = new URL(sts.endpoint).port;
      const role = (s3Host: string, stsHost: string, resolveHost: HostResolver) =>
        createS3Client(
          createTestConnection({
            name: 'vendor',
            endpoint: `http://${s3Host}:${proxy.port}`,
            auth: {
              kind: 'assume_role',
              roleArn: 'arn:aws:iam::210987654321:role/r',
              externalId: 'x-1',
              source: { kind: 'static', accessKeyId: 'AKIASOURCE', secretAccessKey: 'source-secret' },
              stsEndpoint: `http://${stsHost}:${stsPort}`,
              allowCustomEndpoint: true,
            },
          }),
          { resolveHost },
        );
      const badS3 = await listFailure(
        role(
          's3.test',
          'sts.test',
          resolverFrom({ 's3.test': [['169.254.169.254']], 'sts.test': [['127.0.0.1']] }),
        ),
      );
      expect(badS3.code).toBe('S3_FORBIDDEN_ENDPOINT_ADDRESS');
      expect(sts.requests).toHaveLength(0);

      const badSts = await listFailure(
        role(
          's3.test',
          'sts.test',
          resolverFrom({ 's3.test': [['127.0.0.1']], 'sts.test': [['169.254.169.254']] }),
        ),
      );
      expect(badSts.code).toBe('S3_FORBIDDEN_ENDPOINT_ADDRESS');
      expect(badSts.context).toMatchObject({ host: 'sts.test' });
      expect(sts.requests).toHaveLength(0);
    } finally {
      await sts.close();
    }
  });
});
