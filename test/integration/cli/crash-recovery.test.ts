/**
 * Crash (SIGKILL) at each checkpoint of an apply, then re-run (RELIABILITY.md, "Faults to inject"):
 * nothing lost, no duplicate output, state never torn, the lock of the dead run no obstacle.
 *
 * The crashing apply is a real `ferry` child process (bin/ferry.js) that kills itself with SIGKILL at
 * FERRY_FAILPOINT (engine/io/failpoint.ts). The recovery and the idempotency check run in-process.
 * Each case ends exactly where a run that never crashed ends: the same objects, byte for byte (the
 * run-time stamp in their keys aside), the same dataset rows, every file processed once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Failpoint } from '../../../engine/io/failpoint.js';
import { currentVersionPath, openLocalState } from '../../harness/local-state.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startFerryProcess } from '../../harness/ferry-process.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { getObject, listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { queryFile } from '../../harness/duckdb-files.js';

const ENV = CLI_PROJECT_ENV;

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

interface Project {
  dir: string;
  input: string;
  output: string;
}

/**
 * Two pipelines: `files` (CSV → diff → CSV in three parts, so an upload can be cut between parts)
 * and `events` (CSV appended into a dataset, so the two commits can be cut apart).
 */
async function createProject(): Promise<Project> {
  const { dir, input, output } = await createCliProject({
    server,
    label: 'crash',
    extraYaml: 'datasets:\n  events: {kind: events, key: [id]}',
  });
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
  return { dir, input, output };
}

/** `ferry apply` as a child process that kills itself at `point`. */
function crashAt(project: Project, point: Failpoint, pipeline: string) {
  return startFerryProcess({
    cwd: project.dir,
    args: ['apply', '--pipeline', pipeline],
    env: { ...ENV, FERRY_FAILPOINT: point },
  }).exited;
}

const apply = (project: Project) => runCliCaptured(['apply'], { cwd: project.dir, env: ENV });

/** What a run leaves behind, comparable across projects: objects (key stamp masked), dataset rows, processed files. */
async function outcome(project: Project) {
  const objects: Array<[string, string]> = [];
  for (const { key } of await listAll(server.client, project.output)) {
    const body = await getObject(server.client, project.output, key);
    objects.push([key.replace(/\d{14}/, 'STAMP'), body.toString('utf8')]);
  }
  const stateDir = join(project.dir, 'state');
  const file = currentVersionPath(stateDir, await openLocalState(stateDir).datasets.readManifest('events'));
  const rows = file
    ? await queryFile(
        readFileSync(file),
        'events.parquet',
        'SELECT id, event FROM read_parquet($path) ORDER BY id',
      )
    : [];
  const processed = (pipeline: string) => {
    const state = JSON.parse(
      readFileSync(join(project.dir, 'state', 'pipelines', pipeline, 'state.json'), 'utf8'),
    ) as {
      processed: Array<{ key: string }>;
    };
    return state.processed.map((p) => p.key);
  };
  return {
    objects: objects.sort(),
    rows,
    processed: { files: processed('files'), events: processed('events') },
  };
}

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}

let expected: Awaited<ReturnType<typeof outcome>>;
beforeAll(async () => {
  // The reference: the same project applied once without a crash.
  const clean = await createProject();
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

describe('SIGKILL at a checkpoint, then apply again', () => {
  it.each(CASES)('%s (%s): nothing lost, nothing duplicated, state never torn', async (point, pipeline) => {
    const project = await createProject();
    const crashed = await crashAt(project, point, pipeline);
    // The failpoint was reached: the process died by SIGKILL, not by finishing or failing.
    expect(crashed.signal, crashed.output).toBe('SIGKILL');
    // State right after the crash: every JSON file whole, the dead run's lock still there.
    for (const file of allFiles(join(project.dir, 'state')).filter((f) => f.endsWith('.json'))) {
      expect(() => JSON.parse(readFileSync(file, 'utf8')) as unknown, file).not.toThrow();
    }
    expect(existsSync(join(project.dir, 'state', 'pipelines', pipeline, 'lock.json'))).toBe(true);

    // The retry takes over the dead run's lock at once and finishes the work.
    const retry = await apply(project);
    expect(retry.code, retry.output).toBe(0);
    expect(await outcome(project)).toEqual(expected);
    // No lock and no half-written state file is left behind.
    const leftovers = allFiles(join(project.dir, 'state')).filter((f) => /lock\.json|\.tmp/.test(f));
    expect(leftovers).toEqual([]);

    // And once more: nothing to do, nothing written.
    const again = await apply(project);
    expect(again.code, again.output).toBe(0);
    expect(await outcome(project)).toEqual(expected);
  });
});
