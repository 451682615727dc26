/**
 * `ferry apply` with `auth: assume_role` from ferry.yaml to the wire: the configuration validates,
 * the source keys come from `${env:…}` references, STS (a local stand-in) is asked for the role with
 * the external id and the default session name ferry-<connection>, and every S3 request of the run
 * (through the fault proxy, to s3rver) is signed with the session it returned. No secret is printed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startStsStandIn, type StsStandIn } from '../../harness/sts-stand-in.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const ENV = {
  SRC_KEY: 'AKIASOURCEKEYFROMENV',
  SRC_SECRET: 'source-secret-canary-8Hq2',
  FERRY_VENDOR_EXTERNAL_ID: 'acme-ferry-2024',
};

let server: S3TestServer;
let proxy: FaultProxy;
let sts: StsStandIn;
let dir: string;

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  sts = await startStsStandIn({ requireExternalId: ENV.FERRY_VENDOR_EXTERNAL_ID });
  dir = await mkdtemp(join(tmpdir(), 'ferry-assume-role-'));
});

afterAll(async () => {
  await sts.close();
  await proxy.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

it('applies a pipeline whose connection assumes a role, signing every S3 request with the session', async () => {
  const input = uniqueBucket('in');
  const output = uniqueBucket('out');
  await server.createBucket(input);
  await server.createBucket(output);
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'a_1.csv', Body: 'id,name\n1,Ada\n2,Bo\n' }),
  );
  await mkdir(join(dir, 'pipelines'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    [
      'version: 1',
      'connections:',
      '  vendor:',
      `    endpoint: ${proxy.endpoint}`,
      '    force_path_style: true',
      '    auth:',
      '      kind: assume_role',
      '      role_arn: arn:aws:iam::210987654321:role/ferry-reader',
      '      external_id: ${env:FERRY_VENDOR_EXTERNAL_ID}',
      `      sts_endpoint: ${sts.endpoint}`,
      '      allow_custom_endpoint: true',
      '      source: {kind: static, access_key_id: "${env:SRC_KEY}", secret_access_key: "${env:SRC_SECRET}"}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'pipelines', 'p.yaml'),
    `name: p\nsource: {kind: s3, connection: vendor, bucket: ${input}, format: {kind: csv}}\n` +
      `sink: {kind: s3, connection: vendor, bucket: ${output}, filename: 'out-{{run_id}}', format: csv}\n`,
  );

  const from = proxy.requests.length;
  const run = await runCliCaptured(['apply'], { cwd: dir, env: ENV });
  expect(run.code, run.output).toBe(0);
  expect(run.output).not.toContain(ENV.SRC_SECRET);

  expect((await listAll(server.client, output)).map((o) => o.key)).toEqual([
    expect.stringMatching(/^out-.*\.csv$/),
  ]);
  expect(sts.requests.map((r) => r.action)).toEqual(['AssumeRole']);
  expect(sts.requests[0]).toMatchObject({
    accessKeyId: ENV.SRC_KEY,
    params: {
      RoleArn: 'arn:aws:iam::210987654321:role/ferry-reader',
      ExternalId: ENV.FERRY_VENDOR_EXTERNAL_ID,
      RoleSessionName: 'ferry-vendor',
    },
  });
  const requests = proxy.requests.slice(from);
  expect(requests.length).toBeGreaterThanOrEqual(4); // list, get, head (output free), put, head (verify)
  expect(new Set(requests.map((r) => r.headers['x-amz-security-token']))).toEqual(new Set(['session-1']));
});
