/**
 * Plans converge: right after `ferry apply`, `ferry plan --detailed-exitcode` on the example project
 * (the demo's ferry.yaml and pipelines/, over the demo's vendor files) exits 0. Exports whose inputs
 * (dataset versions, segments, configuration) did not change write nothing; a dataset change makes
 * them write again; `sink.always_write: true` writes on every run.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData, type SampleDrop } from '../../../scripts/demo/sample-data.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { S3RVER_CREDENTIALS } from '../../harness/test-connection.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_BUCKET = 'vendor-drops';
const EXPORT_BUCKET = 'ferry-exports';

let server: S3TestServer;
let dir: string;
let env: NodeJS.ProcessEnv;

async function seed(drop: SampleDrop): Promise<void> {
  for (const file of drop.files) {
    await server.client.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: file.key, Body: file.body }));
  }
}

interface JsonPlan {
  pipelines: Array<{ pipeline: string; status: string; outputs: unknown[] }>;
}

async function planJson(): Promise<{ code: number; plan: JsonPlan }> {
  const run = await runCliCaptured(['plan', '--detailed-exitcode', '--format', 'json'], { cwd: dir, env });
  return { code: run.code, plan: JSON.parse(run.stdout) as JsonPlan };
}

async function planMarkdown(): Promise<string> {
  return (await runCliCaptured(['plan', '--format', 'markdown'], { cwd: dir, env })).stdout;
}

const changed = (plan: JsonPlan) =>
  plan.pipelines.filter((p) => p.status !== 'no-changes').map((p) => p.pipeline);

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket(SOURCE_BUCKET);
  await server.createBucket(EXPORT_BUCKET);
  dir = await mkdtemp(join(tmpdir(), 'ferry-converge-'));
  await mkdir(join(dir, 'pipelines'));
  await copyFile(join(ROOT, 'ferry.yaml'), join(dir, 'ferry.yaml'));
  for (const file of await readdir(join(ROOT, 'pipelines'))) {
    await copyFile(join(ROOT, 'pipelines', file), join(dir, 'pipelines', file));
  }
  env = {
    FERRY_DEMO_ENDPOINT: server.endpoint,
    FERRY_DEMO_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    FERRY_DEMO_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('plan after apply', () => {
  it('is empty on the example project; a dataset change or always_write makes exports write', async () => {
    const sample = generateSampleData({ seed: 20_240_501, now: new Date() });
    await seed(sample.dayOne);
    const first = await planJson();
    expect(first.code).toBe(2);
    // Nothing applied yet: every pipeline is new to the graph, so the Markdown plan draws it.
    expect(await planMarkdown()).toContain('```mermaid');
    const applied = await runCliCaptured(['apply'], { cwd: dir, env });
    expect(applied.code, applied.output).toBe(0);

    const second = await planJson();
    expect(changed(second.plan)).toEqual([]);
    expect(second.code).toBe(0);
    expect(await planMarkdown()).not.toContain('```mermaid');

    // A second day's files change the datasets: the exports that read them write again.
    await seed(sample.dayTwo);
    const third = await planJson();
    expect(third.code).toBe(2);
    expect(changed(third.plan)).toEqual(
      expect.arrayContaining(['lytics-export-audience-csv', 'lytics-export-activity']),
    );
    expect(
      third.plan.pipelines.find((p) => p.pipeline === 'lytics-export-audience-csv')?.outputs.length,
    ).toBeGreaterThan(0);
    const appliedAgain = await runCliCaptured(['apply'], { cwd: dir, env });
    expect(appliedAgain.code, appliedAgain.output).toBe(0);
    expect((await planJson()).code).toBe(0);

    // always_write: an export that writes on every run, changed inputs or not.
    const file = join(dir, 'pipelines', 'lytics-export-audiences.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text
        .replace(
          'directory: audiences/account-admins/',
          'directory: audiences/account-admins/\n      always_write: true',
        )
        // A key per run, not per second: the plan right after this apply may fall in the same second.
        .replace(
          "filename: 'account-admins-{TIMESTAMP}'",
          "filename: 'account-admins-{TIMESTAMP}-{{run_id}}'",
        ),
    );
    const withConfigChange = await runCliCaptured(['apply'], { cwd: dir, env });
    expect(withConfigChange.code, withConfigChange.output).toBe(0);
    const always = await planJson();
    expect(changed(always.plan)).toEqual(['lytics-export-audience-json']);
    expect(always.code).toBe(2);
  });
});
