/**
 * `--format json`: every outcome of validate, plan and apply is one JSON document on stdout, in one
 * envelope (docs/json-output.md) — `format_version`, `ferry_version`, `command`, `ok`, `exit_code`,
 * `problems` — whether the configuration is invalid, the command line is wrong, the run fails (a
 * missing bucket, a held lock, a saved plan that cannot be read) or all goes well.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FERRY_VERSION } from '../../../engine/ferry-version.js';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

interface Envelope {
  format_version: number;
  ferry_version: string;
  command: string;
  ok: boolean;
  exit_code: number;
  problems: Array<{ code: string; severity: string; pipeline?: string; at?: { file: string; line: number } }>;
  pipelines?: unknown[];
}

async function project(options: { sinkBucket?: string; invalid?: boolean } = {}): Promise<CliProject> {
  const p = await createCliProject({ server, label: 'json' });
  const sink = options.sinkBucket ?? p.output;
  await writeFile(
    join(p.dir, 'pipelines', 'a.yaml'),
    `name: a\nsource: {kind: s3, connection: s3, bucket: ${p.input}, prefix: in/, format: {kind: csv}}\n` +
      `sink: {kind: s3, connection: s3, bucket: ${sink}, filename: 'out-{{run_id}}', format: ${options.invalid ? 'xlsx' : 'csv'}}\n`,
  );
  await server.client.send(new PutObjectCommand({ Bucket: p.input, Key: 'in/a.csv', Body: 'id\n1\n' }));
  return p;
}

async function json(p: CliProject, args: string[]): Promise<{ code: number; doc: Envelope }> {
  const run = await runCliCaptured([...args, '--format', 'json'], { cwd: p.dir, env: CLI_PROJECT_ENV });
  let doc: Envelope;
  try {
    doc = JSON.parse(run.stdout) as Envelope;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  expect(doc.ferry_version).toBe(FERRY_VERSION);
  expect(doc.exit_code).toBe(run.code);
  expect(doc.ok).toBe(run.code === 0 || run.code === 2);
  return { code: run.code, doc };
}

describe('--format json: one envelope for every outcome', () => {
  it.each(['validate', 'plan', 'apply'])(
    '%s: invalid configuration (exit 3, located problems)',
    async (command) => {
      const p = await project({ invalid: true });
      const { code, doc } = await json(p, [command]);
      expect(code).toBe(3);
      expect(doc).toMatchObject({ command, ok: false });
      expect(doc.problems[0]?.severity).toBe('error');
      expect(doc.problems[0]?.at).toMatchObject({ file: 'pipelines/a.yaml', line: 3 });
    },
  );

  it.each([
    ['validate', ['validate', '--no-such-flag']],
    ['plan', ['plan', '--pipeline', 'nope']],
    ['apply', ['apply', '--lock-timeout', 'soon']],
  ])('%s: a usage error (exit 64)', async (command, args) => {
    const { code, doc } = await json(await project(), args);
    expect(code).toBe(64);
    expect(doc).toMatchObject({ command, ok: false, problems: [{ code: 'USAGE_ERROR' }] });
  });

  it('plan and apply: a sink bucket that does not exist (exit 1, the pipeline named)', async () => {
    const p = await project({ sinkBucket: 'no-such-bucket-ferry' });
    for (const command of ['plan', 'apply']) {
      const { code, doc } = await json(p, [command]);
      expect(code).toBe(1);
      expect(doc).toMatchObject({ command, problems: [{ code: 'SINK_BUCKET_MISSING', pipeline: 'a' }] });
      expect(doc.pipelines).toHaveLength(1);
    }
  });

  it('apply: a held lock (exit 4); a saved plan that cannot be read (exit 1)', async () => {
    const p = await project();
    mkdirSync(join(p.dir, 'state', 'pipelines', 'a'), { recursive: true });
    writeFileSync(
      join(p.dir, 'state', 'pipelines', 'a', 'lock.json'),
      JSON.stringify({
        owner: `${hostname()}:1:run-1`,
        runId: 'run-1',
        host: hostname(),
        pid: 1,
        acquiredAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2999-01-01T00:00:00.000Z',
      }),
    );
    const held = await json(p, ['apply']);
    expect(held.code).toBe(4);
    expect(held.doc.problems).toMatchObject([{ code: 'LOCK_HELD', pipeline: 'a' }]);
    const unreadable = await json(p, ['apply', '--plan', 'missing.json']);
    expect(unreadable.code).toBe(1);
    expect(unreadable.doc).toMatchObject({
      command: 'apply',
      format_version: 2,
      problems: [{ code: 'PLAN_UNREADABLE' }],
    });
  });

  it('validate, plan and apply: success (ok, exit 0 or 2 with --detailed-exitcode)', async () => {
    const p = await project();
    expect((await json(p, ['validate'])).doc).toMatchObject({ command: 'validate', ok: true, problems: [] });
    const planned = await json(p, ['plan', '--detailed-exitcode']);
    expect(planned.code).toBe(2);
    expect(planned.doc).toMatchObject({ command: 'plan', format_version: 2, ok: true, problems: [] });
    const applied = await json(p, ['apply']);
    expect(applied.code).toBe(0);
    expect(applied.doc).toMatchObject({ command: 'apply', ok: true, problems: [] });
    expect(applied.doc.pipelines).toHaveLength(1);
  });
});
