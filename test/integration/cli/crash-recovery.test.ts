/**
 * Crash (SIGKILL) at each checkpoint of an apply, then re-run (RELIABILITY.md, "Faults to inject"):
 * nothing lost, no duplicate output, state never torn, the lock of the dead run no obstacle.
 * Over both state backends: a directory, and S3 on moto (conditional writes enforced). On S3 the dead
 * run's lock is taken over only once it expired, so there the retry waits for it (`lock_ttl: 2s`,
 * `--lock-timeout`).
 *
 * The crashing apply is a real `ferry` child process (bin/ferry.js) that kills itself with SIGKILL at
 * FERRY_FAILPOINT (engine/io/failpoint.ts). The recovery and the idempotency check run in-process.
 * Each case ends exactly where a run that never crashed ends: the same objects, byte for byte (the
 * run-time stamp in their keys aside), the same dataset rows, every file processed once.
 */
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Failpoint } from '../../../engine/io/failpoint.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startFerryProcess } from '../../harness/ferry-process.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { getObject, listAll } from '../../harness/s3-objects.js';
import { startMotoServer, type MotoServer } from '../../harness/moto-server.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { localStateFixture, s3Fixture, type StateFixture } from '../../harness/state-backends.js';
import { readFile } from 'node:fs/promises';
import { queryFile } from '../../harness/duckdb-files.js';

const ENV = CLI_PROJECT_ENV;

let server: S3TestServer;
let moto: MotoServer;
beforeAll(async () => {
  [server, moto] = await Promise.all([startS3Server(), startMotoServer()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), moto?.stop()]);
});

type Backend = 'local' | 's3';

interface Project {
  backend: Backend;
  dir: string;
  input: string;
  output: string;
  state: StateFixture;
}

/**
 * Two pipelines: `files` (CSV → diff → CSV in three parts, so an upload can be cut between parts)
 * and `events` (CSV appended into a dataset, so the two commits can be cut apart).
 */
async function createProject(backend: Backend): Promise<Project> {
  const { dir, input, output, stateBucket } = await createCliProject({
    server,
    label: 'crash',
    extraYaml: 'datasets:\n  events: {kind: events, key: [id]}',
    ...(backend === 's3' ? { state: { server: moto, extra: ['lock_ttl: 2s'] } } : {}),
  });
  const state =
    backend === 's3' && stateBucket
      ? s3Fixture(moto.client, stateBucket, 'ferry/')
      : localStateFixture(join(dir, 'state'));
  await writeFile(
    join(dir, 'pipelines', 'files.yaml'),
    `name: files
source: {kind: s3, connection: s3, bucket: ${input}, prefix: accounts/, format: {kind: csv}}
diff: {key: [id]}
sink:
  kind: s3
  connection: s3
  bucket: ${output}
  directory: out/
  filename: 'accounts-{{timestamp}}-{{part}}'
  format: csv
  max_rows_per_file: 2
`,
  );
  await writeFile(
    join(dir, 'pipelines', 'events.yaml'),
    `name: events
source: {kind: s3, connection: s3, bucket: ${input}, prefix: events/, pick: all-new, format: {kind: csv}}
sink: {kind: dataset, dataset: events, mode: append}
`,
  );
  const put = (key: string, body: string) =>
    server.client.send(new PutObjectCommand({ Bucket: input, Key: key, Body: body }));
  await put('accounts/accounts.csv', 'id,name\n1,Ada\n2,Bob\n3,Cy\n4,Di\n5,Ed\n');
  await put('events/events_1.csv', 'id,event\ne1,login\ne2,logout\ne3,login\n');
  return { backend, dir, input, output, state };
}

/** `ferry apply` as a child process that kills itself at `point`. */
function crashAt(project: Project, point: Failpoint, pipeline: string) {
  return startFerryProcess({
    cwd: project.dir,
    args: ['apply', '--pipeline', pipeline],
    env: { ...ENV, FERRY_FAILPOINT: point },
  }).exited;
}

/** On S3 the dead run's lock is taken over only once it expired: the retry waits for it. */
const apply = (project: Project) =>
  runCliCaptured(project.backend === 's3' ? ['apply', '--lock-timeout', '5m'] : ['apply'], {
    cwd: project.dir,
    env: ENV,
  });

/** What a run leaves behind, comparable across projects: objects (key stamp masked), dataset rows, processed files. */
async function outcome(project: Project) {
  const objects: Array<[string, string]> = [];
  for (const { key } of await listAll(server.client, project.output)) {
    const body = await getObject(server.client, project.output, key);
    objects.push([key.replace(/\d{14}/, 'STAMP'), body.toString('utf8')]);
  }
  const store = project.state.store;
  const scratch = join(mkdtempSync(join(tmpdir(), 'ferry-crash-')), 'events.parquet');
  const version = await store.datasets.fetchVersion(await store.datasets.readManifest('events'), scratch);
  const rows = version
    ? await queryFile(
        await readFile(scratch),
        'events.parquet',
        'SELECT id, event FROM read_parquet($path) ORDER BY id',
      )
    : [];
  const processed = async (pipeline: string) =>
    (await store.readPipelineState(pipeline)).state.processed.map((p) => p.key);
  return {
    objects: objects.sort(),
    rows,
    processed: { files: await processed('files'), events: await processed('events') },
  };
}

let expected: Awaited<ReturnType<typeof outcome>>;
beforeAll(async () => {
  // The reference: the same project applied once without a crash.
  const clean = await createProject('local');
  expect((await apply(clean)).code).toBe(0);
  expected = await outcome(clean);
  expect(expected.objects.map(([key]) => key)).toEqual([
    'out/accounts-STAMP-1.csv',
    'out/accounts-STAMP-2.csv',
    'out/accounts-STAMP-3.csv',
  ]);
  expect(expected.rows).toHaveLength(3);
});

const CASES: Array<[Failpoint, string]> = [
  ['after-lock', 'files'],
  ['after-download', 'files'],
  ['mid-upload', 'files'],
  ['after-upload', 'files'],
  ['during-state-write', 'files'],
  ['after-commit', 'files'],
  ['after-lock', 'events'],
  ['between-commits', 'events'],
  ['during-state-write', 'events'],
  ['after-commit', 'events'],
];

// The cases run at once (each in a project, buckets and state of its own): an S3 case spends about
// half of its time waiting for the dead run's lock to expire, and the waits overlap.
describe.each<Backend>(['local', 's3'])('SIGKILL at a checkpoint, then apply again (%s state)', (backend) => {
  it.concurrent.for(CASES)(
    '%s (%s): nothing lost, nothing duplicated, state never torn',
    async ([point, pipeline], { expect }) => {
      const project = await createProject(backend);
      const crashed = await crashAt(project, point, pipeline);
      // The failpoint was reached: the process died by SIGKILL, not by finishing or failing.
      expect(crashed.signal, crashed.output).toBe('SIGKILL');
      // State right after the crash: every JSON document whole, the dead run's lock still there.
      const keys = await project.state.keys();
      for (const key of keys.filter((k) => k.endsWith('.json'))) {
        const text = (await project.state.get(key))?.toString('utf8') ?? '';
        expect(() => JSON.parse(text) as unknown, key).not.toThrow();
      }
      expect(keys).toContain(`pipelines/${pipeline}/lock.json`);

      // The retry takes over the dead run's lock (at once locally; once it expired on S3) and finishes.
      const retry = await apply(project);
      expect(retry.code, retry.output).toBe(0);
      expect(await outcome(project)).toEqual(expected);
      // No lock, no half-written state file and no probe object is left behind.
      const leftovers = (await project.state.keys()).filter((k) => /lock\.json|\.tmp|^probes\//.test(k));
      expect(leftovers).toEqual([]);

      // And once more: nothing to do, nothing written.
      const again = await apply(project);
      expect(again.code, again.output).toBe(0);
      expect(await outcome(project)).toEqual(expected);
    },
  );
});
