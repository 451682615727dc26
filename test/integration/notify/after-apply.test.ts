/**
 * Notifications from a real `apply` (runProject against s3rver, which notifies after each pipeline,
 * as `ferry apply` and `ferry serve` run it): the export's email carries a link that downloads
 * exactly the object the run wrote, the route's webhook gets the success event with the output keys,
 * and a failing pipeline's failure reaches the webhook — while a receiver that answers 500 changes
 * nothing about the run. Each delivery is reported as a run event.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Project } from '../../../engine/config/model.js';
import type { NotifyEvent } from '../../../engine/notify/notify-event.js';
import { loadProject } from '../../../engine/project/load-project.js';
import type { RunEvent } from '../../../engine/run/run-events.js';
import { runProject } from '../../../engine/run/run-project.js';
import { CLI_PROJECT_ENV, createCliProject, type CliProject } from '../../harness/cli-project.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../harness/smtp-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../harness/webhook-receiver.js';

let server: S3TestServer;
let smtp: SmtpReceiver;
let hook: WebhookReceiver;
let project: CliProject;
let tempRoot: string;

beforeAll(async () => {
  server = await startS3Server();
  smtp = await startSmtpReceiver({ starttls: false });
  hook = await startWebhookReceiver((i) => (i === 0 ? { status: 500 } : { status: 204 }));
  project = await createCliProject({
    server,
    label: 'notify-apply',
    extraYaml: [
      'notifications:',
      '  mail: {kind: smtp, host: 127.0.0.1, port: ' +
        String(smtp.port) +
        ', starttls: "off", from: ferry@example.com, to: [ops@example.com]}',
      `  hook: {kind: webhook, url: "${hook.url}", secret: "\${env:HOOK_SECRET}", max_attempts: 1}`,
    ].join('\n'),
  });
  tempRoot = await mkdtemp(join(project.dir, '.tmp-'));
  await server.client.send(
    new PutObjectCommand({
      Bucket: project.input,
      Key: 'drops/accounts_20261121.csv',
      Body: 'id,name\n1,Ada\n2,Grace\n',
    }),
  );
  await writeFile(
    join(project.dir, 'pipelines', 'p.yaml'),
    [
      'pipelines:',
      '  - name: accounts-export',
      `    source: {kind: s3, connection: s3, bucket: ${project.input}, prefix: drops/, format: {kind: csv}}`,
      `    sink: {kind: s3, connection: s3, bucket: ${project.output}, directory: out/, format: csv,`,
      '           notify: {to: [analyst@example.com], via: mail, link_expires: 1h}}',
      '    notify: {on_success: [hook], on_failure: [hook]}',
      '  - name: broken',
      `    source: {kind: s3, connection: s3, bucket: no-such-bucket-${project.input}, format: {kind: csv}}`,
      `    sink: {kind: s3, connection: s3, bucket: ${project.output}, format: csv}`,
      '    notify: {on_failure: [hook]}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await hook.stop();
  await smtp.stop();
  await server.stop();
  await rm(project.dir, { recursive: true, force: true });
});

it('sends what a real apply’s results say, and a failed delivery leaves the run as it was', async () => {
  const env = { ...CLI_PROJECT_ENV, HOOK_SECRET: 'canary-hook-secret' };
  const loaded = loadProject({ cwd: project.dir, env });
  expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
  const ferryProject = loaded.project as Project;
  const events: RunEvent[] = [];
  const plan = await runProject({
    project: ferryProject,
    pipelines: loaded.pipelines,
    mode: 'apply',
    env,
    tempRoot,
    onEvent: (event) => events.push(event),
  });
  const byName = new Map(plan.pipelines.map((p) => [p.pipeline, p]));
  expect(byName.get('accounts-export')?.status).toBe('changes');
  expect(byName.get('broken')?.status).toBe('error');
  const reports = events.flatMap((e) => (e.type === 'notification' ? [e] : []));
  expect(reports.map((r) => [r.pipeline, r.event, r.target, r.ok, r.error?.code])).toEqual([
    ['accounts-export', 'success', 'hook', false, 'NOTIFY_WEBHOOK_REJECTED'],
    ['accounts-export', 'success', 'mail', true, undefined],
    ['broken', 'failure', 'hook', true, undefined],
  ]);

  const written = byName.get('accounts-export')?.outputs ?? [];
  expect(written).toHaveLength(1);
  // The upload step reports the objects it wrote, not rows.
  const upload = events.find(
    (e) => e.type === 'step-end' && e.pipeline === 'accounts-export' && e.step === 'upload',
  );
  expect(upload).toMatchObject({ objects: 1 });
  expect(upload).not.toHaveProperty('rows');
  const object = await server.client.send(
    new GetObjectCommand({ Bucket: project.output, Key: written[0]?.key }),
  );
  const bytes = Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
  const mail = smtp.messages.find((m) => m.to.includes('analyst@example.com'));
  const url = /^\s+(http:\/\/\S+)$/m.exec(mail?.text ?? '')?.[1] ?? '';
  const download = await fetch(url);
  expect(download.status).toBe(200);
  expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

  const failure = JSON.parse(hook.requests[1]?.body ?? '{}') as NotifyEvent;
  expect(failure).toMatchObject({
    kind: 'failure',
    pipeline: 'broken',
    error: { code: byName.get('broken')?.error?.code },
  });
  const success = JSON.parse(hook.requests[0]?.body ?? '{}') as NotifyEvent;
  expect(success.outputs).toEqual([{ bucket: project.output, key: written[0]?.key }]);

  // The 500 changed nothing: the export stays committed, and a second apply has nothing to do
  // (and, with nothing done, tells nobody).
  const hooksBefore = hook.requests.length;
  const again = await runProject({
    project: ferryProject,
    pipelines: loaded.pipelines,
    mode: 'apply',
    env,
    tempRoot,
    only: ['accounts-export'],
  });
  expect(again.pipelines[0]?.status).toBe('no-changes');
  expect(hook.requests.length).toBe(hooksBefore);
});
