/**
 * I5: `apply --plan FILE` writes exactly the keys the reviewed plan showed, and refuses (exit 5,
 * nothing written, state untouched) when a source, the state or the configuration changed since.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const env = CLI_PROJECT_ENV;

function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const full = join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (!full.includes(`${join('runs')}`)) hash.update(full).update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

async function setup(): Promise<{ dir: string; input: string; output: string }> {
  const { dir, input, output } = await createCliProject({ server, label: 'saved-plan' });
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'd/a_20260101.csv', Body: 'id,v\n1,a\n2,b\n' }),
  );
  writeFileSync(
    join(dir, 'pipelines', 'p.yaml'),
    `name: p\nsource:\n  kind: s3\n  connection: s3\n  bucket: ${input}\n  prefix: d/\n  format: {kind: csv}\nsink:\n  kind: s3\n  connection: s3\n  bucket: ${output}\n  filename: 'out-{{timestamp}}'\n  timestamp_format: YYYYMMDDHHmmssSSS\n  format: csv\n`,
  );
  return { dir, input, output };
}

const run = (dir: string, argv: string[]) => runCliCaptured(argv, { cwd: dir, env });

async function keys(bucket: string): Promise<string[]> {
  return (await listAll(server.client, bucket)).map((o) => o.key);
}

describe('apply --plan FILE', () => {
  it('writes exactly the keys the saved plan showed, even later', async () => {
    const { dir, output } = await setup();
    const planned = await run(dir, ['plan', '--out', 'plan.json']);
    expect(planned.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as {
      format_version: number;
      pipelines: Array<{ outputs: Array<{ key: string }> }>;
    };
    expect(saved.format_version).toBe(2);
    const plannedKeys = (saved.pipelines[0]?.outputs ?? []).map((o) => o.key);
    expect(plannedKeys).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20)); // a later run time would give another key
    const applied = await run(dir, ['apply', '--plan', 'plan.json']);
    expect(applied.code).toBe(0);
    expect(await keys(output)).toEqual(plannedKeys);
  });

  it('refuses a stale plan when a source changed, writing nothing and leaving state alone', async () => {
    const { dir, input, output } = await setup();
    expect((await run(dir, ['plan', '--out', 'plan.json'])).code).toBe(0);
    await server.client.send(
      new PutObjectCommand({ Bucket: input, Key: 'd/a_20260102.csv', Body: 'id,v\n3,c\n' }),
    );
    mkdirSync(join(dir, 'state'), { recursive: true });
    const before = hashTree(join(dir, 'state'));
    const applied = await run(dir, ['apply', '--plan', 'plan.json']);
    expect(applied.code).toBe(5);
    expect(applied.stdout).toContain('PLAN_STALE');
    expect(applied.stdout).toContain('d/a_20260102.csv');
    expect(await keys(output)).toEqual([]);
    expect(hashTree(join(dir, 'state'))).toBe(before);
  });

  it('refuses a plan made before another apply (state changed)', async () => {
    const { dir } = await setup();
    expect((await run(dir, ['plan', '--out', 'plan.json'])).code).toBe(0);
    expect((await run(dir, ['apply'])).code).toBe(0);
    const applied = await run(dir, ['apply', '--plan', 'plan.json']);
    expect(applied.code).toBe(5);
    expect(applied.stdout).toContain('state changed');
  });

  it('refuses an unreadable plan file', async () => {
    const { dir } = await setup();
    writeFileSync(join(dir, 'plan.json'), '{"format_version": 99}');
    const applied = await run(dir, ['apply', '--plan', 'plan.json']);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('PLAN_UNREADABLE');
  });
});
