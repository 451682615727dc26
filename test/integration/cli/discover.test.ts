/**
 * `ferry discover` against a real S3 server (s3rver) with three families and some noise: dated CSVs
 * with semicolons, CRLF and a byte-order mark; a prefix_timestamp.json NDJSON sequence; a README,
 * a backup and a hidden file. The proposed YAML is golden (paths normalized), it passes `ferry
 * validate`, and `ferry plan` takes exactly the family's files with it. Also: `--write`, a drafted
 * connection on a machine without ferry.yaml, and the listing past one page.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const GOLDEN = fileURLToPath(new URL('../../golden/discover/', import.meta.url));

function expectGolden(name: string, text: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(GOLDEN + name, text);
    return;
  }
  expect(existsSync(GOLDEN + name), `${name} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(GOLDEN + name, 'utf8'));
}

const BOM = '\uFEFF';

function accountsCsv(day: number): string {
  const rows = [
    'account_id;name;plan;mrr;signed_up_on',
    `${1000 + day};"Müller; Söhne GmbH";enterprise;1200.50;2023-0${day}-01`,
    `${2000 + day};Acme Inc;starter;99;2023-0${day}-15`,
    `${3000 + day};"Quote ""Co""";pro;450;2023-0${day}-20`,
  ];
  return BOM + rows.join('\r\n') + '\r\n';
}

function activityNdjson(day: number): string {
  return (
    [1, 2]
      .map((n) => JSON.stringify({ id: `a-${day}-${n}`, uid: `u${n}`, ts: 1714531200 + day * 86400 + n }))
      .join('\n') + '\n'
  );
}

/** The three families plus noise, under `acme/` in `bucket`. */
async function seedVendorDrop(server: S3TestServer, bucket: string): Promise<void> {
  const files: Record<string, string> = {
    'acme/README.md': '# What Acme drops here\n',
    'acme/.DS_Store': 'x',
    'acme/accounts/accounts_20240502.csv.bak': accountsCsv(2),
  };
  for (const day of [1, 2, 3]) {
    files[`acme/accounts/accounts_2024050${day}.csv`] = accountsCsv(day);
    files[`acme/activity/activity_2024050${day}011500.json`] = activityNdjson(day);
  }
  for (const [key, body] of Object.entries(files)) {
    await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
}

const ENV = { ...CLI_PROJECT_ENV, PATH: process.env['PATH'] ?? '' };

/** Paths and names that differ per run, replaced so the output can be golden. */
function normalize(text: string, project: CliProject): string {
  return text
    .replaceAll(project.input, 'VENDOR-BUCKET')
    .replace(/\$schema=\S+\/schemas\//g, '$schema=<ferry>/schemas/');
}

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server.stop();
});

describe('ferry discover', () => {
  it('proposes one pipeline per family, leaves the noise aside, and the proposal validates and plans', async () => {
    const project = await createCliProject({ server, label: 'discover' });
    await seedVendorDrop(server, project.input);
    const run = await runCliCaptured(['discover', `s3://${project.input}/acme/`], {
      cwd: project.dir,
      env: ENV,
    });
    expect(run.code, run.stderr).toBe(0);
    expectGolden('three-families.yaml', normalize(run.stdout, project));

    // The report names what was set aside and why, and shows the dialect it found.
    expect(run.stderr).toMatch(/Left aside: 3 files/);
    expect(run.stderr).toMatch(/acme\/README\.md\s+documentation/);
    expect(run.stderr).toMatch(/accounts_20240502\.csv\.bak\s+backup/);
    expect(run.stderr).toMatch(/acme\/\.DS_Store\s+hidden file/);
    expect(run.stderr).toContain('csv: delimiter ";", quote "\\"", header row, utf-8 with BOM, CRLF');
    // Sample values go to the terminal, never into the YAML.
    expect(run.stderr).toContain('Müller; Söhne GmbH');
    expect(run.stdout).not.toContain('Müller');

    await writeFile(join(project.dir, 'pipelines', 'acme.yaml'), run.stdout);
    const validate = await runCliCaptured(['validate'], { cwd: project.dir, env: ENV });
    expect(validate.code, validate.stderr).toBe(0);
    const plan = await runCliCaptured(['plan', '--format', 'json'], { cwd: project.dir, env: ENV });
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as {
      pipelines: Array<{
        pipeline: string;
        selection: { selected: Array<{ key: string }> };
        counts: unknown;
      }>;
    };
    const selected = Object.fromEntries(
      planned.pipelines.map((p) => [p.pipeline, p.selection.selected.map((f) => f.key).sort()]),
    );
    expect(selected).toEqual({
      accounts: [1, 2, 3].map((d) => `acme/accounts/accounts_2024050${d}.csv`),
      activity: [1, 2, 3].map((d) => `acme/activity/activity_2024050${d}011500.json`),
    });
    // The proposed dialect reads every row (quoted semicolons, doubled quotes, BOM, CRLF).
    // (Plan JSON keys are camelCase in format 1 and snake_case from format 2 on: read either.)
    const rows = (name: string) => {
      const c = (planned.pipelines.find((p) => p.pipeline === name)?.counts ?? {}) as Record<string, number>;
      return [c['rowsRead'] ?? c['rows_read'], c['rowsRejected'] ?? c['rows_rejected']];
    };
    expect(rows('accounts')).toEqual([9, 0]);
    expect(rows('activity')).toEqual([6, 0]);
  });

  it('--write puts one file per pipeline into pipelines/ and never overwrites', async () => {
    const project = await createCliProject({ server, label: 'discover-write' });
    await seedVendorDrop(server, project.input);
    const args = [
      'discover',
      `s3://${project.input}/acme/`,
      '--write',
      '--sink',
      `s3://${project.output}/out/`,
    ];
    const run = await runCliCaptured(args, { cwd: project.dir, env: ENV });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Wrote pipelines/accounts.yaml, pipelines/activity.yaml.');
    const accounts = await readFile(join(project.dir, 'pipelines', 'accounts.yaml'), 'utf8');
    expect(accounts).toMatch(/^# yaml-language-server: \$schema=\S+\/schemas\/pipeline\.schema\.json\n/);
    expect(accounts).toContain(`bucket: ${project.output}\n  directory: out/accounts/`);
    const validate = await runCliCaptured(['validate'], { cwd: project.dir, env: ENV });
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('2 pipelines');

    // Again: the names are taken now, so the proposals get new ones (no file is overwritten).
    const again = await runCliCaptured(args, { cwd: project.dir, env: ENV });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Wrote pipelines/accounts-csv.yaml, pipelines/activity-json.yaml.');
  });

  it('--write says so when ferry.yaml would not read the files it wrote', async () => {
    const project = await createCliProject({
      server,
      label: 'discover-globs',
      extraYaml: 'pipelines:\n  - jobs/*.yaml',
    });
    await seedVendorDrop(server, project.input);
    await mkdir(join(project.dir, 'jobs'));
    await writeFile(
      join(project.dir, 'jobs', 'other.yaml'),
      `name: other\nsource: {kind: s3, connection: s3, bucket: ${project.input}, prefix: x/, format: {kind: csv}}\n` +
        `sink: {kind: s3, connection: s3, bucket: ${project.output}, format: parquet}\n`,
    );
    const run = await runCliCaptured(['discover', `s3://${project.input}/acme/activity/`, '--write'], {
      cwd: project.dir,
      env: ENV,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "Note: ferry.yaml's `pipelines:` globs do not take them; add pipelines/*.yaml there.",
    );
  });

  it('drafts a connection from flags where there is no ferry.yaml, with keys only as references', async () => {
    const project = await createCliProject({ server, label: 'discover-fresh' });
    await seedVendorDrop(server, project.input);
    const fresh = join(project.dir, 'fresh');
    mkdirSync(fresh);
    const env = { PATH: ENV.PATH, VENDOR_KEY: 'S3RVER', VENDOR_SECRET: 'S3RVER' };
    const run = await runCliCaptured(
      [
        'discover',
        `s3://${project.input}/acme/accounts/`,
        '--endpoint',
        server.endpoint,
        '--access-key-env',
        'VENDOR_KEY',
        '--secret-key-env',
        'VENDOR_SECRET',
        '--connection',
        'vendor',
      ],
      { cwd: fresh, env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('connection: vendor');
    expect(run.stderr).toContain("access_key_id: '${env:VENDOR_KEY}'");
    expect(run.output).not.toMatch(/S3RVER/);

    // Without the variables set, the drafted connection cannot sign in: a clear error, no request.
    const unset = await runCliCaptured(
      ['discover', `s3://${project.input}/acme/`, '--endpoint', server.endpoint],
      { cwd: fresh, env: { PATH: ENV.PATH } },
    );
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('[SECRET_UNRESOLVED]');
    expect(unset.stderr).toContain('AWS_ACCESS_KEY_ID');
  });

  it('refuses a metadata address as the drafted endpoint (exit 3, nothing sent)', async () => {
    const run = await runCliCaptured(
      ['discover', 's3://any-bucket/x/', '--endpoint', 'http://169.254.169.254'],
      { cwd: fileURLToPath(new URL('.', import.meta.url)), env: { K: 'x' } },
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('CONFIG_FORBIDDEN_ENDPOINT');
  });

  it('lists past one page and reports an empty prefix', async () => {
    const bucket = uniqueBucket('discover-pages');
    await server.createBucket(bucket);
    const project = await createCliProject({ server, label: 'discover-pages' });
    for (let i = 0; i < 1005; i += 1) {
      const ts = 1714531200 + i * 3600;
      await server.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: `events/events_${ts}.ndjson`, Body: `{"n":${i}}\n` }),
      );
    }
    const run = await runCliCaptured(['discover', `s3://${bucket}/events/`], { cwd: project.dir, env: ENV });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Listed 1,005 objects');
    expect(run.stdout).toContain("match: '^events_(?P<timestamp>\\d{10})\\.ndjson$'");
    expect(run.stdout).toContain('timestamp_format: X');
    expect(run.stdout).toContain('pick: sequence\n  sequence:\n    expect_every: 1h');

    const empty = await runCliCaptured(['discover', `s3://${bucket}/nothing-here/`], {
      cwd: project.dir,
      env: ENV,
    });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('No data files found');
  });
});
