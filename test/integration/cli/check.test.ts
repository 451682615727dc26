/**
 * `ferry check` against s3rver, and through the fault proxy for what s3rver cannot show (a 403 on
 * GetObject, a refused delete, a server clock that is off). The report of a working project and of
 * a broken one are golden files (endpoint, bucket names and the test object's uuid normalized).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

const GOLDEN = fileURLToPath(new URL('../../golden/check/', import.meta.url));

function expectGolden(name: string, text: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(GOLDEN + name, text);
    return;
  }
  expect(existsSync(GOLDEN + name), `${name} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(GOLDEN + name, 'utf8'));
}

const ENV = { ...CLI_PROJECT_ENV };

let server: S3TestServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
});

afterAll(async () => {
  await proxy.close();
  await server.stop();
});

/** A project whose one pipeline reads `drops/` of the input bucket and writes `out/` of the output bucket. */
async function projectWithPipeline(label: string, options: { endpoint?: string; sinkBucket?: string } = {}) {
  const project = await createCliProject({
    server,
    label,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  await server.client.send(
    new PutObjectCommand({ Bucket: project.input, Key: 'drops/a_20240501.csv', Body: 'id\n1\n' }),
  );
  await writeFile(
    join(project.dir, 'pipelines', 'p.yaml'),
    [
      'name: p',
      `source: {kind: s3, connection: s3, bucket: ${project.input}, prefix: drops/, format: {kind: csv}}`,
      `sink: {kind: s3, connection: s3, bucket: ${options.sinkBucket ?? project.output}, directory: out/, format: parquet}`,
      '',
    ].join('\n'),
  );
  return project;
}

function normalize(text: string, project: CliProject, extra: Record<string, string> = {}): string {
  let out = text
    .replaceAll(server.endpoint, 'http://127.0.0.1:<s3rver>')
    .replaceAll(proxy.endpoint, 'http://127.0.0.1:<proxy>')
    .replaceAll(project.input, 'IN-BUCKET')
    .replaceAll(project.output, 'OUT-BUCKET')
    .replace(/\.ferry-check-[0-9a-f-]{36}/g, '.ferry-check-<uuid>')
    .replace(/request id [^ )\]]+/g, 'request id <id>');
  for (const [from, to] of Object.entries(extra)) out = out.replaceAll(from, to);
  return out;
}

describe('ferry check', () => {
  it('passes a working project: credentials, buckets, list and read by prefix, clock', async () => {
    const project = await projectWithPipeline('check-ok');
    const run = await runCliCaptured(['check'], { cwd: project.dir, env: ENV });
    expect(run.code, run.output).toBe(0);
    expectGolden('ok.txt', normalize(run.stdout, project));
  });

  it('--write-test puts and deletes a test object in the sink folder', async () => {
    const project = await projectWithPipeline('check-write');
    const run = await runCliCaptured(['check', '--write-test'], { cwd: project.dir, env: ENV });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toMatch(
      /✔ write {8}out\/ \(sink\): PutObject and DeleteObject of out\/\.ferry-check-[0-9a-f-]{36}/,
    );
    expect(await listAll(server.client, project.output)).toEqual([]);
  });

  it('reports what fails, with codes, and exits 1', async () => {
    const project = await projectWithPipeline('check-broken', {
      endpoint: proxy.endpoint,
      sinkBucket: 'no-such-bucket-here',
    });
    const denied = proxy.addRule({
      match: { method: 'GET', bucket: project.input, key: 'drops/a_20240501.csv' },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    const ahead = new Date(Date.now() + 10 * 60_000).toUTCString();
    const clock = proxy.addRule({
      match: { method: 'HEAD' },
      fault: { kind: 'override-headers', headers: { date: ahead } },
    });
    try {
      const run = await runCliCaptured(['check'], { cwd: project.dir, env: ENV });
      expect(run.code, run.output).toBe(1);
      expectGolden('broken.txt', normalize(run.stdout, project));
      expect(run.stdout).toMatch(
        /⚠ clock {8}the server's clock is 10 min ahead of this machine's \[CHECK_CLOCK_SKEW\]/,
      );
    } finally {
      denied.remove();
      clock.remove();
    }
  });

  it('says which object a refused delete left behind (warning, exit 0)', async () => {
    const project = await projectWithPipeline('check-delete', { endpoint: proxy.endpoint });
    const refused = proxy.addRule({
      match: { method: 'DELETE' },
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    try {
      const run = await runCliCaptured(['check', '--write-test'], { cwd: project.dir, env: ENV });
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain('[CHECK_WRITE_TEST_LEFT_OBJECT]');
      const left = await listAll(server.client, project.output);
      expect(left.map((o) => o.key)).toEqual([expect.stringMatching(/^out\/\.ferry-check-[0-9a-f-]{36}$/)]);
      expect(run.stdout).toContain(`remove s3://${project.output}/${left[0]?.key ?? ''} yourself`);
    } finally {
      refused.remove();
    }
  });

  it('fails on credentials that do not resolve or are wrong, without showing them', async () => {
    const project = await projectWithPipeline('check-creds');
    const unset = await runCliCaptured(['check'], { cwd: project.dir, env: { K: 'S3RVER' } });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toMatch(/✖ credentials .*\$\{env:S\}.*\[SECRET_UNRESOLVED\]/);

    const wrong = await runCliCaptured(['check'], {
      cwd: project.dir,
      env: { K: 'WRONGKEY1234', S: 'not-the-secret' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('✔ credentials  resolve: access key …1234');
    expect(wrong.stdout).toMatch(/✖ list .*\[S3_(INVALID_CREDENTIALS|SIGNATURE_MISMATCH)\]/);
    // HeadBucket's bare 403 is not taken for an IAM refusal: the bucket line names the real cause.
    expect(wrong.stdout).toMatch(
      /✖ bucket .*the listing says why.*\[S3_(INVALID_CREDENTIALS|SIGNATURE_MISMATCH)\]/,
    );
    expect(wrong.stdout).not.toContain('S3_ACCESS_DENIED');
    expect(wrong.stdout).toContain('not tested: the listing failed');
    expect(wrong.output).not.toContain('not-the-secret');
    expect(wrong.output).not.toContain('WRONGKEY1234');
  });

  it('tests one connection and extra buckets on request; refuses --bucket alone', async () => {
    const project = await projectWithPipeline('check-one');
    const run = await runCliCaptured(['check', '--connection', 's3', '--bucket', project.output], {
      cwd: project.dir,
      env: ENV,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain('(bucket root) (requested): ListObjectsV2');
    const usage = await runCliCaptured(['check', '--bucket', project.output], { cwd: project.dir, env: ENV });
    expect(usage.code).toBe(64);
    const unknown = await runCliCaptured(['check', '--connection', 'nope'], { cwd: project.dir, env: ENV });
    expect(unknown.code).toBe(64);
  });
});
