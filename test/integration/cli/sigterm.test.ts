/**
 * SIGTERM (a container being stopped) during `ferry apply`, in a real child process: the run stops
 * before its next step with state untouched and the lock released, or, once it is uploading,
 * finishes that pipeline's upload and commit; pipelines not started are not started; exit 143.
 * The fault proxy slows one request down so the signal lands at a known point.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type RequestMatch } from '../../harness/fault-proxy.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startFerryProcess } from '../../harness/ferry-process.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

const ENV = CLI_PROJECT_ENV;

let server: S3TestServer;
let proxy: FaultProxy;
beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

/** Pipelines `a` and `b`, each copying one CSV from the input bucket to the output bucket. */
async function createProject() {
  const { dir, input, output } = await createCliProject({
    server,
    endpoint: proxy.endpoint,
    label: 'sigterm',
  });
  for (const name of ['a', 'b']) {
    await writeFile(
      join(dir, 'pipelines', `${name}.yaml`),
      `name: ${name}\nsource: {kind: s3, connection: s3, bucket: ${input}, prefix: ${name}/, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${output}, filename: '${name}', format: csv}\n`,
    );
    await server.client.send(
      new PutObjectCommand({ Bucket: input, Key: `${name}/data.csv`, Body: 'id,name\n1,Ada\n2,Bob\n' }),
    );
  }
  const outputs = async () => (await listAll(server.client, output)).map((o) => o.key);
  const statePath = (pipeline: string, file: string) => join(dir, 'state', 'pipelines', pipeline, file);
  return { dir, input, output, outputs, statePath };
}

/** Starts `ferry apply` and sends SIGTERM as soon as the proxy has seen a request matching `when`. */
async function applyAndTerminate(dir: string, when: RequestMatch) {
  const before = proxy.count(when);
  const ferry = startFerryProcess({ cwd: dir, args: ['apply'], env: ENV });
  // No deadline (a loaded machine may take long to start the child): only a child that ended first fails.
  let ended = false;
  void ferry.exited.then(
    () => (ended = true),
    () => (ended = true),
  );
  while (proxy.count(when) === before) {
    if (ended) throw new Error(`no matching request; output:\n${ferry.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  ferry.child.kill('SIGTERM');
  return ferry.exited;
}

const applyInProcess = (dir: string) => runCliCaptured(['apply'], { cwd: dir, env: ENV });

it('while downloading: stops before the next step, commits nothing, releases the lock, exits 143', async () => {
  const p = await createProject();
  const download = { method: 'GET', bucket: p.input, key: 'a/data.csv' };
  const slow = proxy.addRule({ match: download, fault: { kind: 'delay', ms: 1500 }, times: 1 });
  const stopped = await applyAndTerminate(p.dir, download);
  slow.remove();
  expect(stopped.code, stopped.output).toBe(143);
  expect(stopped.output).toContain('SIGTERM received');
  expect(stopped.output).toContain('Stopped by SIGTERM before the load step; nothing was committed.');
  // Pipeline a: nothing committed, nothing written, the lock gone, the failure on record.
  expect(existsSync(p.statePath('a', 'state.json'))).toBe(false);
  expect(existsSync(p.statePath('a', 'lock.json'))).toBe(false);
  const runs = readdirSync(p.statePath('a', 'runs'));
  expect(runs).toHaveLength(1);
  const record = JSON.parse(readFileSync(p.statePath('a', join('runs', runs[0] ?? '')), 'utf8')) as {
    status: string;
    error: { code: string };
  };
  expect([record.status, record.error.code]).toEqual(['failed', 'RUN_INTERRUPTED']);
  // Pipeline b never started.
  expect(existsSync(p.statePath('b', 'state.json'))).toBe(false);
  expect(await p.outputs()).toEqual([]);

  // The next apply does all the work.
  const retry = await applyInProcess(p.dir);
  expect(retry.code, retry.output).toBe(0);
  expect(await p.outputs()).toEqual(['a.csv', 'b.csv']);
});

it('while uploading: finishes that upload and its commit, starts nothing new, exits 143', async () => {
  const p = await createProject();
  const upload = { method: 'PUT', bucket: p.output, key: 'a.csv' };
  const slow = proxy.addRule({ match: upload, fault: { kind: 'delay', ms: 1500 }, times: 1 });
  const stopped = await applyAndTerminate(p.dir, upload);
  slow.remove();
  expect(stopped.code, stopped.output).toBe(143);
  // a finished: its output is there and its state records the processed file.
  expect(await p.outputs()).toEqual(['a.csv']);
  const state = JSON.parse(readFileSync(p.statePath('a', 'state.json'), 'utf8')) as {
    processed: Array<{ key: string }>;
  };
  expect(state.processed.map((f) => f.key)).toEqual(['a/data.csv']);
  expect(existsSync(p.statePath('a', 'lock.json'))).toBe(false);
  // b was not started.
  expect(stopped.output).toContain('before this pipeline started');
  expect(existsSync(p.statePath('b', 'state.json'))).toBe(false);

  const retry = await applyInProcess(p.dir);
  expect(retry.code, retry.output).toBe(0);
  expect(await p.outputs()).toEqual(['a.csv', 'b.csv']);
});
