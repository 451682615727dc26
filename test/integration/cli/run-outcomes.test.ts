/**
 * What `plan` and `apply` say, and how they exit, at the edges a person meets: a sink bucket that
 * does not exist (reported by plan, before any work), a saved plan in which one pipeline had failed,
 * a disabled pipeline, a pipeline name that does not exist, and `state unlock` on locks of every kind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { hashTree } from '../../harness/hash-tree.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const cli = (project: CliProject, args: string[]) =>
  runCliCaptured(args, { cwd: project.dir, env: CLI_PROJECT_ENV });

async function project(pipelines: Record<string, (p: CliProject) => string>): Promise<CliProject> {
  const p = await createCliProject({ server, label: 'outcomes' });
  for (const [name, yaml] of Object.entries(pipelines))
    await writeFile(join(p.dir, 'pipelines', `${name}.yaml`), yaml(p));
  await server.client.send(new PutObjectCommand({ Bucket: p.input, Key: 'in/a.csv', Body: 'id\n1\n' }));
  return p;
}

const pipeline =
  (name: string, extra = '', sinkBucket?: string) =>
  (p: CliProject) =>
    `name: ${name}\n${extra}source: {kind: s3, connection: s3, bucket: ${p.input}, prefix: in/, format: {kind: csv}}\n` +
    `sink: {kind: s3, connection: s3, bucket: ${sinkBucket ?? p.output}, directory: ${name}/, filename: 'out-{{run_id}}', format: csv}\n`;

describe('plan and apply', () => {
  it('plan reports a sink bucket that does not exist, and apply leaves nothing behind', async () => {
    const p = await project({ a: pipeline('a', '', 'no-such-bucket-ferry') });
    const plan = await cli(p, ['plan']);
    expect(plan.code).toBe(1);
    expect(plan.output).toContain('SINK_BUCKET_MISSING');
    expect(plan.output).toContain('no-such-bucket-ferry');
    const apply = await cli(p, ['apply']);
    expect(apply.code).toBe(1);
    const state = Object.keys(await hashTree(join(p.dir, 'state')));
    expect(state.filter((k) => !/\/runs\//.test(k))).toEqual([]);
  });

  it('plan reports a source bucket that does not exist at source.bucket, as it does a sink bucket', async () => {
    const p = await project({
      a: (q) => pipeline('a')(q).replace(`bucket: ${q.input}`, 'bucket: no-such-source-ferry'),
    });
    const plan = await cli(p, ['plan']);
    expect(plan.code).toBe(1);
    expect(plan.output).toContain('S3_NO_SUCH_BUCKET');
    expect(plan.output).toMatch(/pipelines\/a\.yaml:2:\d+/);
  });

  it('apply --plan does not apply a pipeline whose saved plan failed, and says so (exit 1)', async () => {
    const p = await project({ good: pipeline('good'), bad: pipeline('bad', '', 'no-such-bucket-ferry') });
    const saved = join(p.dir, 'plan.json');
    expect((await cli(p, ['plan', '--out', saved])).code).toBe(1);
    const apply = await cli(p, ['apply', '--plan', saved]);
    expect(apply.code).toBe(1);
    expect(apply.output).toContain('PLAN_PIPELINE_FAILED');
    expect(apply.output).not.toContain('Apply complete!');
  });

  it('a disabled pipeline is one line in the plan; --pipeline on it says it is disabled', async () => {
    const p = await project({ on: pipeline('on'), off: pipeline('off', 'enabled: false\n') });
    const plan = await cli(p, ['plan', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { pipelines: Array<{ pipeline: string; status: string }> };
    expect(parsed.pipelines.map((x) => [x.pipeline, x.status])).toEqual([
      ['off', 'disabled'],
      ['on', 'changes'],
    ]);
    const only = await cli(p, ['apply', '--pipeline', 'off']);
    expect(only.code).toBe(0);
    expect(only.output).toContain('disabled');
    expect(Object.keys(await hashTree(join(p.dir, 'state')))).toEqual([]);
  });

  it('--pipeline with a name that does not exist is a usage error (exit 64)', async () => {
    const p = await project({ a: pipeline('a') });
    const run = await cli(p, ['plan', '--pipeline', 'nope']);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('"nope"');
  });
});

describe('apply progress', () => {
  it('logs each run and step to stderr as it ends (text or JSON lines on request; none by default off a terminal)', async () => {
    const text = await project({ a: pipeline('a') });
    const run = await cli(text, ['apply', '--log-format', 'text']);
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toMatch(/run started \(apply\)/);
    expect(run.stderr).toMatch(/fetch done in [\d.]+ (ms|s)/);
    expect(run.stderr).toMatch(/load done in .*, 1 rows/);
    expect(run.stderr).toMatch(/run succeeded in /);
    expect(run.stdout).toContain('Apply complete!');

    const json = await project({ a: pipeline('a') });
    const lines = (await cli(json, ['apply', '--log-format', 'json'])).stderr.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { event: string; runId: string; pipeline: string });
    expect(events[0]).toMatchObject({ event: 'run-start', pipeline: 'a' });
    expect(events.at(-1)).toMatchObject({ event: 'run-end', pipeline: 'a' });
    // One run id on every line: the attempt's record is runs/<runId>.json.
    expect(new Set(events.map((e) => e.runId)).size).toBe(1);

    const quiet = await project({ a: pipeline('a') });
    expect((await cli(quiet, ['apply', '--log-format', 'none'])).stderr).toBe('');
    // Captured output is no terminal: no progress unless asked for.
    const captured = await project({ a: pipeline('a') });
    const plain = await cli(captured, ['apply']);
    expect(plain.code, plain.output).toBe(0);
    expect(plain.stderr).toBe('');
  });
});

describe('state unlock', () => {
  const writeLock = (p: CliProject, lock: Record<string, unknown> | string) => {
    mkdirSync(join(p.dir, 'state', 'pipelines', 'a'), { recursive: true });
    writeFileSync(
      join(p.dir, 'state', 'pipelines', 'a', 'lock.json'),
      typeof lock === 'string' ? lock : JSON.stringify(lock),
    );
  };
  const lock = (host: string, pid: number) => ({
    owner: `${host}:${pid}:run-1`,
    runId: 'run-1',
    host,
    pid,
    acquiredAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2999-01-01T00:00:00.000Z',
  });

  it('refuses a live holder on this machine, even with its lock id', async () => {
    const p = await project({ a: pipeline('a') });
    writeLock(p, lock(hostname(), process.pid === 1 ? 2 : 1));
    for (const args of [
      ['state', 'unlock', 'a'],
      ['state', 'unlock', 'a', '--lock-id', 'run-1'],
    ]) {
      const run = await cli(p, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('LOCK_HELD');
    }
  });

  it('removes a holder elsewhere only with its lock id', async () => {
    const p = await project({ a: pipeline('a') });
    writeLock(p, lock('another-host', 1234));
    const refused = await cli(p, ['state', 'unlock', 'a']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--lock-id run-1');
    const removed = await cli(p, ['state', 'unlock', 'a', '--lock-id', 'run-1']);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await cli(p, ['state', 'unlock', 'a'])).stdout).toContain('not locked');
  });

  it('removes a damaged lock that apply reports as damaged', async () => {
    const p = await project({ a: pipeline('a') });
    writeLock(p, '');
    const apply = await cli(p, ['apply']);
    expect(apply.code).toBe(4);
    expect(apply.output).toContain('damaged');
    const removed = await cli(p, ['state', 'unlock', 'a']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('damaged');
    expect((await cli(p, ['apply'])).code).toBe(0);
  });
});
