/**
 * `ferry serve` as a real child process against the embedded S3 server: two pipelines due a minute
 * after their previous run ended (so the first runs start at once; crons have no seconds) run on
 * their schedule (observed by polling /status, never by sleeping). /metrics and /status report the
 * one that succeeds; the other's run is held mid-download by the fault proxy, and SIGTERM then stops
 * it at its next step with its state untouched, and ferry exits 0 after a clean drain. The successful run notifies:
 * a signed webhook arrives at a local HTTP receiver and an email with a presigned link (which
 * downloads the written file) at a local SMTP server. Logs are JSON lines, each run line with its
 * run id, and no secret in them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startFerryProcess, type FerryProcess } from '../../harness/ferry-process.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../harness/smtp-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../harness/webhook-receiver.js';

let server: S3TestServer;
let proxy: FaultProxy;
let smtp: SmtpReceiver;
let hook: WebhookReceiver;
let ferry: FerryProcess | undefined;
beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ upstream: server.endpoint });
  smtp = await startSmtpReceiver({ starttls: false });
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  if (ferry && ferry.child.exitCode === null) ferry.child.kill('SIGKILL');
  await hook?.stop();
  await smtp?.stop();
  await proxy?.close();
  await server?.stop();
});

const HOOK_SECRET = 'canary-serve-hook-secret';

/**
 * Only a guard against a hang, below vitest's testTimeout: on a loaded 2-core machine a scheduled run
 * took over 40 s. A ferry that exits early fails the wait at once.
 */
const DEADLINE_MS = 540_000;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (ferry !== undefined && ferry.child.exitCode !== null)
      throw new Error(
        `ferry exited (${String(ferry.child.exitCode)}) before ${what}; output:\n${ferry.output()}`,
      );
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; output:\n${ferry?.output() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function logLines(): Array<Record<string, unknown>> {
  return (ferry?.output() ?? '')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface Status {
  phase: string;
  config: { status: string; revision: string };
  pipelines: Array<{
    name: string;
    nextRun: string | null;
    currentRun: { runId: string } | null;
    lastRun: { runId: string; recordId: string; status: string; configRevision: string } | null;
  }>;
}

const stateHash = (dir: string, pipeline: string) => {
  const hash = createHash('sha256');
  const root = join(dir, 'state', 'pipelines', pipeline);
  for (const file of existsSync(root) ? readdirSync(root).sort() : []) {
    if (file === 'runs') continue; // the run log gains the interrupted run's record; state must not change
    hash.update(file).update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
};

it('runs on schedule, reports in /status and /metrics, and drains on SIGTERM with state untouched', async () => {
  const { dir, input, output } = await createCliProject({
    server,
    endpoint: proxy.endpoint,
    label: 'serve',
    extraYaml: [
      'notifications:',
      `  mail: {kind: smtp, host: 127.0.0.1, port: ${smtp.port}, starttls: "off", from: ferry@example.com}`,
      `  hook: {kind: webhook, url: "${hook.url}", secret: "\${env:HOOK_SECRET}"}`,
    ].join('\n'),
  });
  await writeFile(
    join(dir, 'pipelines', 'a.yaml'),
    [
      'name: a',
      `source: {kind: s3, connection: s3, bucket: ${input}, prefix: a/, format: {kind: csv}}`,
      `sink: {kind: s3, connection: s3, bucket: ${output}, format: csv,`,
      '       notify: {to: [analyst@example.com], via: mail, link_expires: 1h}}',
      'notify: {on_success: [hook]}',
      'schedule: {every: 1m, anchor: completion}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'pipelines', 'b.yaml'),
    [
      'name: b',
      `source: {kind: s3, connection: s3, bucket: ${input}, prefix: b/, format: {kind: csv}}`,
      `sink: {kind: s3, connection: s3, bucket: ${output}, format: csv}`,
      'schedule: {every: 1m, anchor: completion}',
      '',
    ].join('\n'),
  );
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'a/one.csv', Body: 'id,name\n1,Ada\n2,Bob\n' }),
  );
  // b's first run (beside a's: serve runs two at a time) is held in its download until SIGTERM.
  const download = { method: 'GET', bucket: input, key: 'b/two.csv' };
  proxy.addRule({ match: download, fault: { kind: 'hold' }, times: 1 });
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'b/two.csv', Body: 'id,name\n3,Cy\n' }),
  );
  const before = stateHash(dir, 'b');

  ferry = startFerryProcess({
    cwd: dir,
    args: ['serve', '--port', '0', '--host', '127.0.0.1', '--log-format', 'json', '--grace-period', '30s'],
    env: { ...CLI_PROJECT_ENV, HOOK_SECRET },
  });
  const port = await waitFor(
    'the listening line',
    () => logLines().find((l) => l['event'] === 'listening')?.['port'],
  );
  const base = `http://127.0.0.1:${String(port)}`;
  const getStatus = async () => (await (await fetch(`${base}/status`)).json()) as Status;

  // A scheduled run happens and succeeds.
  const firstRun = await waitFor('a successful run', async () => {
    const a = (await getStatus()).pipelines.find((p) => p.name === 'a');
    return a?.lastRun?.status === 'succeeded' ? a.lastRun : undefined;
  });
  const status = await getStatus();
  expect(status.phase).toBe('running');
  expect(status.config.status).toBe('ok');
  expect(firstRun.configRevision).toBe(status.config.revision);
  expect(existsSync(join(dir, 'state', 'pipelines', 'a', 'runs', `${firstRun.recordId}.json`))).toBe(true);
  expect((await listAll(server.client, output)).length).toBe(1);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/^ferry_runs_total\{pipeline="a",outcome="succeeded"\} [1-9]/m);
  expect(metrics).toMatch(/^ferry_rows_read_total\{pipeline="a"\} 2$/m);
  expect(metrics).toMatch(/^ferry_last_success_timestamp_seconds\{pipeline="a"\} \d+/m);
  expect(metrics).toMatch(/^ferry_run_duration_seconds_count\{pipeline="a",outcome="succeeded"\} [1-9]/m);
  expect(metrics).toContain('ferry_config_reload_success 1');
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);

  // The run told its people: a signed webhook with the output, an email with a working link.
  const delivered = await waitFor('the success webhook', () => hook.requests[0]);
  const event = JSON.parse(delivered.body) as { kind: string; pipeline: string; outputs: unknown[] };
  expect(event).toMatchObject({ kind: 'success', pipeline: 'a' });
  expect(event.outputs).toHaveLength(1);
  expect(String(delivered.headers['x-ferry-signature'])).toMatch(/^sha256=[0-9a-f]{64}$/);
  const mail = await waitFor('the export email', () =>
    smtp.messages.find((m) => m.to.includes('analyst@example.com')),
  );
  const link = /(http:\/\/\S+)/.exec(mail.text)?.[1] ?? '';
  const [written] = await listAll(server.client, output);
  const fetched = await fetch(link);
  expect(fetched.status).toBe(200);
  expect(Buffer.from(await fetched.arrayBuffer()).length).toBe(written?.size);

  // b's download is held, and SIGTERM arrives while its run is in it.
  await waitFor('the held download', () => (proxy.count(download) > 0 ? true : undefined));
  const running = (await getStatus()).pipelines.find((p) => p.name === 'b')?.currentRun;
  expect(running).not.toBeNull();
  ferry.child.kill('SIGTERM');
  // The download answers only once ferry has taken the signal, so the run is stopped at the next
  // step whatever the machine's speed (a timed delay could end before a loaded machine got there).
  await waitFor('the drain line', () => logLines().find((l) => l['event'] === 'drain'));
  expect(proxy.releaseHeld()).toBe(1);
  const exited = await ferry.exited;
  expect(exited.code, exited.output).toBe(0);

  // The interrupted run committed nothing: state byte-identical, no lock, no new output.
  expect(stateHash(dir, 'b')).toBe(before);
  expect(existsSync(join(dir, 'state', 'pipelines', 'b', 'lock.json'))).toBe(false);
  expect((await listAll(server.client, output)).length).toBe(1);
  const lines = logLines();
  const interrupted = lines.find((l) => l['event'] === 'run-end' && l['runId'] === running?.runId);
  expect(interrupted).toMatchObject({ status: 'failed', code: 'RUN_INTERRUPTED', level: 'error' });
  expect(lines.at(-1)).toMatchObject({ event: 'drained' });
  // Every run line names its run; no secret anywhere in the output.
  const runLines = lines.filter((l) =>
    ['run-start', 'run-end', 'warning', 'step-end'].includes(String(l['event'])),
  );
  expect(runLines.length).toBeGreaterThanOrEqual(4);
  for (const line of runLines) expect(line['runId'], JSON.stringify(line)).toEqual(expect.any(String));
  expect(exited.output).not.toContain(CLI_PROJECT_ENV.S);
  expect(exited.output).not.toContain(HOOK_SECRET);
  expect(delivered.body).not.toContain(HOOK_SECRET);
});
