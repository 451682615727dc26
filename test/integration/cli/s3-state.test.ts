/**
 * `state: {kind: s3}` at the command line: plans (and `plan --offline`, `state list|show`) with
 * read-only credentials; an endpoint that ignores conditional writes (s3rver): plan says so, apply
 * refuses, or runs unlocked when the project accepts it; `state rollback|unlock` on S3; and
 * `state migrate --to s3` moving a local state up without loss.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelinePlan } from '../../../engine/plan/plan-model.js';
import { CLI_PROJECT_ENV, createCliProject, type S3Endpoint } from '../../harness/cli-project.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { hashTree } from '../../harness/hash-tree.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { s3Fixture } from '../../harness/state-backends.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let s3rver: S3TestServer;
let moto: MotoServer;
let proxy: FaultProxy;
beforeAll(async () => {
  [s3rver, moto] = await Promise.all([startS3Server(), startMotoServer()]);
  proxy = await startFaultProxy({ upstream: moto.endpoint });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([s3rver?.stop(), moto?.stop()]);
});

const cli = (dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  runCliCaptured(args, { cwd: dir, env: { ...CLI_PROJECT_ENV, ...env } });

/** A pipeline `p` (three CSV files → one CSV) and `events` (a CSV appended into a dataset). */
async function writePipelines(
  server: S3Endpoint & { client: S3TestServer['client'] },
  project: { dir: string; input: string; output: string },
): Promise<void> {
  await writeFile(
    join(project.dir, 'pipelines', 'p.yaml'),
    `name: p
source: {kind: s3, connection: s3, bucket: ${project.input}, prefix: in/, pick: all-new, format: {kind: csv}}
sink: {kind: s3, connection: s3, bucket: ${project.output}, directory: out/, filename: 'rows-{{run_id}}', format: csv}
`,
  );
  await writeFile(
    join(project.dir, 'pipelines', 'events.yaml'),
    `name: events
source: {kind: s3, connection: s3, bucket: ${project.input}, prefix: events/, pick: all-new, format: {kind: csv}}
sink: {kind: dataset, dataset: events, mode: append}
`,
  );
  await appendFile(join(project.dir, 'ferry.yaml'), 'datasets:\n  events: {kind: events, key: [id]}\n');
  const put = (key: string, body: string) =>
    server.client.send(new PutObjectCommand({ Bucket: project.input, Key: key, Body: body }));
  for (const n of [1, 2, 3]) await put(`in/${n}.csv`, `id\n${n}\n`);
  await put('events/e1.csv', 'id,event\ne1,login\n');
}

describe('plans read S3 state with read-only credentials', () => {
  it('plan, plan --offline, state list and show work; apply is refused by the endpoint', async () => {
    // The project reaches its state through the proxy, which refuses every write to the state bucket.
    const project = await createCliProject({
      server: s3rver,
      label: 's3-state-ro',
      state: { server: moto, endpoint: '${env:FERRY_STATE_ENDPOINT}' },
    });
    await writePipelines(s3rver, project);
    const readWrite = { FERRY_STATE_ENDPOINT: moto.endpoint };
    const readOnly = { FERRY_STATE_ENDPOINT: proxy.endpoint };
    expect((await cli(project.dir, ['apply'], readWrite)).code).toBe(0);
    await s3rver.client.send(
      new PutObjectCommand({ Bucket: project.input, Key: 'in/4.csv', Body: 'id\n4\n' }),
    );

    const bucket = project.stateBucket ?? '';
    for (const method of ['PUT', 'POST', 'DELETE']) {
      proxy.addRule({
        match: { method, bucket },
        fault: { kind: 'status', status: 403, code: 'AccessDenied' },
      });
    }
    try {
      const plan = await cli(
        project.dir,
        ['plan', '--pipeline', 'p', '--format', 'json', '--detailed-exitcode'],
        readOnly,
      );
      expect(plan.code, plan.output).toBe(2);
      // State was read: only the new file is to be processed, and the backend check came from the record.
      const [planned] = (JSON.parse(plan.stdout) as { pipelines: PipelinePlan[] }).pipelines;
      expect(planned?.selection.selected.map((c) => c.key)).toEqual(['in/4.csv']);
      expect(planned?.warnings).toEqual([]);
      const offline = await cli(project.dir, ['plan', '--offline'], readOnly);
      expect(offline.code, offline.output).toBe(0);
      const list = await cli(project.dir, ['state', 'list'], readOnly);
      expect(list.stdout).toContain(`state in s3://${bucket}/ferry/`);
      expect(list.stdout).toMatch(/^pipeline p: last run \S+ \S+, 3 files processed$/m);
      expect(list.stdout).toMatch(/^dataset events: version 1 /m);
      const show = await cli(project.dir, ['state', 'show', 'p'], readOnly);
      expect(JSON.parse(show.stdout)).toMatchObject({ pipeline: 'p', generation: 1 });
      // Nothing got past the proxy's refusal: the plan wrote nothing.
      expect(
        proxy.requests.filter(
          (r) => r.bucket === bucket && r.method !== 'GET' && r.method !== 'HEAD' && r.fault === undefined,
        ),
      ).toEqual([]);

      const apply = await cli(project.dir, ['apply', '--pipeline', 'p'], readOnly);
      expect(apply.code, apply.output).toBe(1);
      expect(apply.output).toContain('S3_ACCESS_DENIED');
    } finally {
      proxy.clearRules();
    }
  });
});

describe('the probe of conditional writes', () => {
  it('runs once per command, however many pipelines and locks it has', async () => {
    const project = await createCliProject({
      server: s3rver,
      label: 's3-state-probe',
      state: { server: moto, endpoint: proxy.endpoint },
    });
    await writePipelines(s3rver, project);
    const before = proxy.requests.length;
    const applied = await cli(project.dir, ['apply']);
    expect(applied.code, applied.output).toBe(0);
    const requests = proxy.requests.slice(before).filter((r) => r.bucket === project.stateBucket);
    const probes = requests.filter((r) => r.key?.includes('/probes/'));
    // Create, create again, a wrong If-Match; then the throw-away object is removed.
    expect(probes.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT', 'DELETE']);
    // Three locks (pipelines p and events, dataset events), each created with If-None-Match: *.
    const locks = requests.filter((r) => r.key?.endsWith('/lock.json') && r.method === 'PUT');
    expect(locks.map((r) => r.headers['if-none-match'])).toEqual(['*', '*', '*']);
  });
});

describe('an endpoint that does not enforce conditional writes (s3rver)', () => {
  it('plan says apply will refuse; apply refuses and writes nothing; unsafe-single-writer runs, NOT LOCKED', async () => {
    const project = await createCliProject({
      server: s3rver,
      label: 's3-state-unsafe',
      state: { server: s3rver },
    });
    await writePipelines(s3rver, project);
    const state = s3Fixture(s3rver.client, project.stateBucket ?? '', 'ferry/');

    const plan = await cli(project.dir, ['plan']);
    expect(plan.code, plan.output).toBe(0);
    expect(plan.stdout).toContain('STATE_LOCK_UNSUPPORTED');
    expect(plan.stdout).toContain('apply WILL REFUSE');

    expect((await cli(project.dir, ['apply', '--lock-timeout', 'soon'])).code).toBe(64);
    const refused = await cli(project.dir, ['apply']);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stdout).toContain('STATE_LOCK_UNSUPPORTED');
    expect(refused.stdout).toContain('unsafe-single-writer');
    expect(await listAll(s3rver.client, project.output)).toEqual([]);
    // Only the record of the probe: no lock pretending to lock, no state, no run record.
    expect((await state.keys()).filter((k) => k.startsWith('pipelines/') && !k.includes('/runs/'))).toEqual(
      [],
    );

    const yaml = await readFile(join(project.dir, 'ferry.yaml'), 'utf8');
    await writeFile(
      join(project.dir, 'ferry.yaml'),
      yaml.replace('  prefix: ferry/\n', '  prefix: ferry/\n  lock: unsafe-single-writer\n'),
    );
    const applied = await cli(project.dir, ['apply']);
    expect(applied.code, applied.output).toBe(0);
    expect(applied.stdout).toContain('STATE_UNLOCKED');
    expect(applied.stdout).toContain('NOT LOCKED');
    expect(await listAll(s3rver.client, project.output)).toHaveLength(1);
    expect((await cli(project.dir, ['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});

describe('state rollback and unlock on S3', () => {
  it('rolls a dataset back; removes an expired lock, a live one elsewhere only with its lock id', async () => {
    const project = await createCliProject({
      server: s3rver,
      label: 's3-state-cmds',
      state: { server: moto },
    });
    await writePipelines(s3rver, project);
    const state = s3Fixture(moto.client, project.stateBucket ?? '', 'ferry/');
    expect((await cli(project.dir, ['apply'])).code).toBe(0);
    await s3rver.client.send(
      new PutObjectCommand({ Bucket: project.input, Key: 'events/e2.csv', Body: 'id,event\ne2,logout\n' }),
    );
    expect((await cli(project.dir, ['apply'])).code).toBe(0);
    expect((await state.store.datasets.readManifest('events')).current).toBe(2);
    const rollback = await cli(project.dir, ['state', 'rollback', 'events']);
    expect(rollback.stdout).toContain('version 1 now');
    expect((await state.store.datasets.readManifest('events')).current).toBe(1);

    const lock = (expiresAt: string) =>
      state.put(
        'pipelines/p/lock.json',
        JSON.stringify({
          owner: 'far:7:run-1',
          runId: 'run-1',
          host: 'far',
          pid: 7,
          acquiredAt: '2026-01-01T00:00:00.000Z',
          expiresAt,
        }),
      );
    await lock('2999-01-01T00:00:00.000Z');
    const refused = await cli(project.dir, ['state', 'unlock', 'p']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('LOCK_HELD');
    expect((await cli(project.dir, ['state', 'unlock', 'p', '--lock-id', 'run-1'])).code).toBe(0);
    expect((await state.store.readPipelineLock('p')).kind).toBe('free');
    await lock('2020-01-01T00:00:00.000Z');
    expect((await cli(project.dir, ['state', 'unlock', 'p'])).code).toBe(0);
    expect((await state.store.readPipelineLock('p')).kind).toBe('free');
  });
});

describe('state migrate --to s3', () => {
  it('moves a local state up without loss; plans against it find nothing new; refuses a target with state', async () => {
    // Everything on moto here: the data buckets and the state bucket.
    const project = await createCliProject({ server: moto, label: 's3-migrate' });
    await writePipelines(moto, project);
    expect((await cli(project.dir, ['apply'])).code).toBe(0);
    const local = await hashTree(join(project.dir, 'state'));
    expect(Object.keys(local)).toContain('datasets/events/manifest.json');

    const notYet = await cli(project.dir, ['state', 'migrate', '--to', 's3']);
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toContain('STATE_MIGRATE_NOT_S3');

    const bucket = uniqueBucket('state');
    await moto.createBucket(bucket);
    await appendFile(
      join(project.dir, 'ferry.yaml'),
      `state: {kind: s3, connection: s3, bucket: ${bucket}, prefix: prod/ferry}\n`,
    );
    // A run still holding a lock on the local state: nothing is migrated.
    const busy = s3Fixture(moto.client, bucket, 'prod/ferry/');
    await writeFile(
      join(project.dir, 'state', 'pipelines', 'p', 'lock.json'),
      JSON.stringify({
        owner: 'x',
        runId: 'busy',
        host: 'elsewhere',
        pid: 1,
        acquiredAt: new Date().toISOString(),
        expiresAt: '2999-01-01T00:00:00.000Z',
      }),
    );
    const held = await cli(project.dir, ['state', 'migrate', '--to', 's3']);
    expect(held.code, held.output).toBe(1);
    expect(held.stderr).toContain('LOCK_HELD');
    expect(await busy.keys()).toEqual([]);
    await writeFile(
      join(project.dir, 'state', 'pipelines', 'p', 'lock.json'),
      JSON.stringify({
        owner: 'x',
        runId: 'gone',
        host: 'elsewhere',
        pid: 1,
        acquiredAt: '2020-01-01T00:00:00.000Z',
        expiresAt: '2020-01-01T00:10:00.000Z',
      }),
    );

    const migrated = await cli(project.dir, ['state', 'migrate', '--to', 's3']);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(`to s3://${bucket}/prod/ferry/`);
    expect(migrated.stdout).toContain('Not copied: pipelines/p/lock.json');
    expect(migrated.stdout).toContain('enforces conditional writes');
    // Byte for byte: every local blob but the lock is in S3 under the same key.
    const copied = await busy.keys();
    const expected = Object.keys(local).sort();
    expect(copied.filter((k) => k !== 'backend.json')).toEqual(expected);
    for (const key of expected) {
      expect(
        (await busy.get(key))?.equals(await readFile(join(project.dir, 'state', ...key.split('/')))),
        key,
      ).toBe(true);
    }

    // ferry now reads state from S3: nothing new to do.
    const plan = await cli(project.dir, ['plan', '--detailed-exitcode']);
    expect(plan.code, plan.output).toBe(0);
    const list = await cli(project.dir, ['state', 'list']);
    expect(list.stdout).toMatch(/^dataset events: version 1 /m);

    const again = await cli(project.dir, ['state', 'migrate', '--to', 's3']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('STATE_MIGRATE_TARGET_NOT_EMPTY');
    const forced = await cli(project.dir, ['state', 'migrate', '--to', 's3', '--force']);
    expect(forced.code, forced.output).toBe(0);
  });
});
