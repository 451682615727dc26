/**
 * `ferry init` as users run it (the built CLI): a scaffold that validates, with modelines, a
 * .gitignore for local state and the workflow from the one template; and `--demo`, whose project
 * goes through validate → plan → apply against the demo S3 server seeded by the same code as
 * `npm run demo:server`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../scripts/demo/sample-data.js';
import { S3RVER_KEYS, startDemoS3Server, type DemoS3Server } from '../../scripts/demo/s3-server.js';
import { createDemoBuckets, DEMO_BUCKETS, seedDemoDrop } from '../../scripts/demo/seed-demo-server.js';
import { renderGithubWorkflow } from '../../engine/scaffold/github-workflow.js';
import { listAll } from '../harness/s3-objects.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ferry.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd,
        env: {
          PATH: process.env['PATH'] ?? '',
          NO_COLOR: '1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const temps: string[] = [];
async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ferry-init-${label}-`));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe('ferry init', () => {
  it('scaffolds a project that validates, with modelines, a .gitignore for state and the workflow', async () => {
    const dir = await tempDir('plain');
    const run = await ferry(['init', 'project'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('created                  project/ferry.yaml');
    const project = join(dir, 'project');
    const ferryYaml = await readFile(join(project, 'ferry.yaml'), 'utf8');
    expect(ferryYaml).toMatch(/^# yaml-language-server: \$schema=\S+\/schemas\/ferry\.schema\.json\n/);
    expect(ferryYaml).toContain("access_key_id: '${env:AWS_ACCESS_KEY_ID}'");
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toMatch(/^\/state\/$/m);
    expect(await readFile(join(project, '.github/workflows/ferry.yml'), 'utf8')).toBe(renderGithubWorkflow());
    // The modeline resolves to the schema that ships with this ferry.
    const schemaPath = /\$schema=(\S+)/.exec(ferryYaml)?.[1] ?? '';
    expect(JSON.parse(await readFile(join(project, schemaPath), 'utf8'))).toHaveProperty(
      'properties.connections',
    );

    const validate = await ferry(['validate'], project);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('0 pipelines');
  });

  it('names its connection and endpoint from flags, and never overwrites', async () => {
    const dir = await tempDir('flags');
    await writeFile(join(dir, '.gitignore'), 'dist/\n');
    const args = [
      'init',
      '--connection',
      'vendor',
      '--endpoint',
      'https://minio.example.com',
      '--access-key-env',
      'MINIO_KEY',
      '--secret-key-env',
      'MINIO_SECRET',
    ];
    const run = await ferry(args, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/added ferry’s lines to +\.gitignore/);
    const ferryYaml = await readFile(join(dir, 'ferry.yaml'), 'utf8');
    expect(ferryYaml).toContain(
      "  vendor:\n    region: us-east-1\n    endpoint: 'https://minio.example.com'",
    );
    expect(ferryYaml).toContain("secret_access_key: '${env:MINIO_SECRET}'");
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toMatch(/^dist\/\n\n.*\n.*\n\/state\/\n/);
    expect((await ferry(['validate'], dir)).code).toBe(0);

    const again = await ferry(['init'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[INIT_PROJECT_EXISTS]');
    // A key where a variable name belongs is refused, and not echoed.
    const value = await ferry(['init', 'y', '--access-key-env', 'abc/def+ghi', '--secret-key-env', 'S'], dir);
    expect(value.code).toBe(64);
    expect(value.stderr).not.toContain('abc/def+ghi');
  });
});

describe('ferry init --demo against the demo S3 server', () => {
  let server: DemoS3Server;
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('demo');
    await mkdir(join(dir, 's3'));
    server = await startDemoS3Server({ directory: join(dir, 's3'), port: 0 });
    await createDemoBuckets(server);
    await seedDemoDrop(server, generateSampleData({ seed: 20_240_501, now: new Date() }).dayOne);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('init → validate → plan → apply, then nothing left to do', async () => {
    const env = {
      FERRY_DEMO_ENDPOINT: server.endpoint,
      FERRY_DEMO_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId,
      FERRY_DEMO_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
    };
    const init = await ferry(['init', 'my-demo', '--demo'], dir);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('npm run demo:server');
    const project = join(dir, 'my-demo');

    const validate = await ferry(['validate'], project, env);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('2 pipelines');

    const check = await ferry(['check'], project, env);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const plan = await ferry(['plan', '--detailed-exitcode', '--format', 'json'], project, env);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    // The pipeline's comment promises the first day's three broken rows are set aside.
    const accounts = (
      JSON.parse(plan.stdout) as { pipelines: Array<{ pipeline: string; counts: { rows_rejected: number } }> }
    ).pipelines.find((p) => p.pipeline === 'accounts');
    expect(accounts?.counts.rows_rejected).toBe(3);
    const apply = await ferry(['apply'], project, env);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    const written = (await listAll(server.client, DEMO_BUCKETS.exports)).map((o) => o.key);
    expect(written.filter((k) => k.startsWith('my-first-project/accounts/')).length).toBe(1);
    expect(written.filter((k) => k.startsWith('my-first-project/activity/')).length).toBe(1);

    const after = await ferry(['plan', '--detailed-exitcode'], project, env);
    expect(after.code, after.stdout + after.stderr).toBe(0);
  });
});
