/**
 * `ferry policy` is enough: every S3 request ferry sends while it runs the example project (the demo's
 * ferry.yaml and pipelines/: S3 sources, S3 sinks, dataset sinks with a rejects directory, dataset
 * exports) over two days of the demo's vendor files — plan, apply, plan, apply — plus a multipart
 * upload and a failed one (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload) is recorded on the wire by the fault proxy in front of s3rver, mapped to the
 * IAM action and resource AWS would authorize, and checked against the generated policy with the test
 * evaluator. A GET/HEAD answered 404 also needs s3:ListBucket (without s3:prefix), as on AWS.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { uploadFile } from '../../../engine/io/s3/upload-file.js';
import { compileIamPolicy } from '../../../engine/plan/compile-policy.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { runProject } from '../../../engine/run/run-project.js';
import { generateSampleData, type SampleDrop } from '../../../scripts/demo/sample-data.js';
import { isAllowed, type PolicyRequest } from '../../harness/evaluate-iam-policy.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../../harness/fault-proxy.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { createTestConnection, S3RVER_CREDENTIALS } from '../../harness/test-connection.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_BUCKET = 'vendor-drops';
const EXPORT_BUCKET = 'ferry-exports';

let server: S3TestServer;
let proxy: FaultProxy;
let dir: string;

type Authorizations = { operation: string; needs: PolicyRequest[] } | undefined;

/** The S3 operation of a recorded request and what IAM must allow for it; undefined if unknown. */
function authorizationsOf(request: ProxiedRequest): Authorizations {
  // The SDK names most operations in an `x-id` query parameter: it must agree with the mapping.
  const { 'x-id': named, ...query } = request.query;
  const mapped = mapRequest(request, query);
  return mapped && (named === undefined || named === mapped.operation) ? mapped : undefined;
}

function mapRequest(request: ProxiedRequest, q: Record<string, string>): Authorizations {
  const bucketArn = `arn:aws:s3:::${request.bucket}`;
  if (request.key === undefined) {
    if (request.method === 'GET' && q['list-type'] === '2') {
      return {
        operation: 'ListObjectsV2',
        needs: [
          {
            action: 's3:ListBucket',
            resource: bucketArn,
            context: 'prefix' in q ? { 's3:prefix': q['prefix'] ?? '' } : {},
          },
        ],
      };
    }
    if (request.method === 'HEAD')
      return { operation: 'HeadBucket', needs: [{ action: 's3:ListBucket', resource: bucketArn }] };
    return undefined;
  }
  const object = { resource: `${bucketArn}/${request.key}` };
  const missingNeedsList = request.status === 404 ? [{ action: 's3:ListBucket', resource: bucketArn }] : [];
  if (request.method === 'GET' && Object.keys(q).length === 0) {
    return { operation: 'GetObject', needs: [{ action: 's3:GetObject', ...object }, ...missingNeedsList] };
  }
  if (request.method === 'HEAD') {
    return { operation: 'HeadObject', needs: [{ action: 's3:GetObject', ...object }, ...missingNeedsList] };
  }
  if (request.headers['x-amz-copy-source'] !== undefined) return undefined;
  if (request.method === 'PUT' && 'uploadId' in q)
    return { operation: 'UploadPart', needs: [{ action: 's3:PutObject', ...object }] };
  if (request.method === 'PUT')
    return { operation: 'PutObject', needs: [{ action: 's3:PutObject', ...object }] };
  if (request.method === 'POST' && 'uploads' in q) {
    return { operation: 'CreateMultipartUpload', needs: [{ action: 's3:PutObject', ...object }] };
  }
  if (request.method === 'POST' && 'uploadId' in q) {
    return { operation: 'CompleteMultipartUpload', needs: [{ action: 's3:PutObject', ...object }] };
  }
  if (request.method === 'DELETE' && 'uploadId' in q) {
    return { operation: 'AbortMultipartUpload', needs: [{ action: 's3:AbortMultipartUpload', ...object }] };
  }
  if (request.method === 'DELETE')
    return { operation: 'DeleteObject', needs: [{ action: 's3:DeleteObject', ...object }] };
  return undefined;
}

async function seed(drop: SampleDrop): Promise<void> {
  for (const file of drop.files) {
    await server.client.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: file.key, Body: file.body }));
  }
}

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  await server.createBucket(SOURCE_BUCKET);
  await server.createBucket(EXPORT_BUCKET);
  dir = await mkdtemp(join(tmpdir(), 'ferry-policy-'));
  await mkdir(join(dir, 'pipelines'));
  await copyFile(join(ROOT, 'ferry.yaml'), join(dir, 'ferry.yaml'));
  for (const file of await readdir(join(ROOT, 'pipelines'))) {
    await copyFile(join(ROOT, 'pipelines', file), join(dir, 'pipelines', file));
  }
});

afterAll(async () => {
  await proxy.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the generated IAM policy', () => {
  it('allows every S3 request ferry sends over two days of the example project', async () => {
    const env = {
      FERRY_DEMO_ENDPOINT: proxy.endpoint,
      FERRY_DEMO_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      FERRY_DEMO_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const loaded = loadProject({ cwd: dir, env });
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const project = loaded.project!;
    const dayOne = new Date();
    const dayTwo = new Date(dayOne.getTime() + 60 * 60 * 1000);
    const sample = generateSampleData({ seed: 20_240_501, now: dayOne });
    const run = async (mode: 'plan' | 'apply', now: Date) => {
      const plan = await runProject({ project, pipelines: loaded.pipelines, mode, env, now });
      expect(plan.pipelines.filter((p) => p.status === 'error').map((p) => [p.pipeline, p.error])).toEqual(
        [],
      );
    };
    await seed(sample.dayOne);
    await run('plan', dayOne);
    await run('apply', dayOne);
    await seed(sample.dayTwo);
    await run('plan', dayTwo);
    await run('apply', dayTwo);

    // Multipart, as ferry uploads outputs over the multipart threshold, into a sink directory; then one that
    // fails on its parts and is aborted.
    const big = join(dir, 'big.csv');
    await writeFile(big, Buffer.alloc(5 * 1024 * 1024 + 10, 'a'));
    const client = createS3Client(createTestConnection({ endpoint: proxy.endpoint, maxAttempts: 1 }));
    const upload = (key: string) =>
      uploadFile(client, {
        connection: 'demo',
        bucket: EXPORT_BUCKET,
        key,
        filePath: big,
        partSizeBytes: 5 * 1024 * 1024,
        multipartThresholdBytes: 5 * 1024 * 1024,
      });
    try {
      await upload('activity/big-multipart.csv');
      const rule = proxy.addRule({
        match: { method: 'PUT', keyIncludes: 'big-failed', hasQuery: ['uploadId'] },
        fault: { kind: 'status', status: 500, code: 'InternalError' },
      });
      await expect(upload('activity/big-failed.csv')).rejects.toMatchObject({ code: 'S3_SERVER_ERROR' });
      rule.remove();
    } finally {
      client.destroy();
    }

    const policy = compileIamPolicy(project, loaded.pipelines);
    const unknown: string[] = [];
    const denied: string[] = [];
    const operations = new Set<string>();
    for (const request of proxy.requests) {
      const mapped = authorizationsOf(request);
      const where = `${request.method} ${request.bucket}/${request.key ?? ''}?${new URLSearchParams(request.query).toString()}`;
      if (!mapped) {
        unknown.push(where);
        continue;
      }
      operations.add(mapped.operation);
      for (const need of mapped.needs) {
        if (!isAllowed(policy, need))
          denied.push(
            `${mapped.operation} ${where} needs ${need.action} on ${need.resource} ${JSON.stringify(need.context ?? {})}`,
          );
      }
    }
    expect(unknown).toEqual([]);
    expect(denied).toEqual([]);
    // The run exercised what the policy is about (a check that cannot pass vacuously).
    expect([...operations].sort()).toEqual(
      expect.arrayContaining([
        'AbortMultipartUpload',
        'CompleteMultipartUpload',
        'CreateMultipartUpload',
        'GetObject',
        'HeadObject',
        'ListObjectsV2',
        'PutObject',
        'UploadPart',
      ]),
    );
    expect(proxy.requests.filter((r) => r.method === 'HEAD' && r.status === 404).length).toBeGreaterThan(0);
  }, 240_000);
});
