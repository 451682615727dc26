/**
 * Email notifications through a real SMTP server (smtp-server on 127.0.0.1, STARTTLS with its own
 * self-signed certificate, a login), and the export's "email to": the presigned link in the message
 * downloads exactly the bytes ferry wrote, from s3rver. The project is loaded from YAML, so routes,
 * defaults and references go through validation and normalization as in `ferry apply`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, Project } from '../../../engine/config/model.js';
import type { RunResult } from '../../../engine/notify/compile-notifications.js';
import { notifyAfterRun } from '../../../engine/notify/notify-run.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { createS3Access } from '../../../engine/run/run-project.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../harness/smtp-receiver.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

const SMTP_PASSWORD = 'canary-smtp-pw-93e1';
const COUNTS = {
  filesMatched: 0,
  filesNew: 0,
  filesSkipped: 0,
  rowsRead: 120,
  rowsRejected: 0,
  rowsAdded: 0,
  rowsChanged: 0,
  rowsRemoved: 0,
  rowsUnchanged: 0,
  rowsWritten: 120,
  objectsWritten: 1,
};

let server: S3TestServer;
let dir: string;
let bucket: string;

beforeAll(async () => {
  server = await startS3Server();
  bucket = uniqueBucket('exports');
  await server.createBucket(bucket);
  dir = await mkdtemp(join(tmpdir(), 'ferry-notify-'));
});

afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

async function loadExportProject(smtp: SmtpReceiver, options: { starttls: 'required' | 'off' }) {
  const project = join(dir, `p-${smtp.port}`);
  await mkdir(join(project, 'pipelines'), { recursive: true });
  await writeFile(
    join(project, 'ferry.yaml'),
    [
      'version: 1',
      'connections:',
      '  s3:',
      `    endpoint: ${server.endpoint}`,
      '    force_path_style: true',
      '    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}',
      'notifications:',
      '  mail:',
      '    kind: smtp',
      '    host: 127.0.0.1',
      `    port: ${smtp.port}`,
      `    starttls: ${options.starttls}`,
      '    tls_reject_unauthorized: false',
      '    username: ferry',
      '    password: "${env:SMTP_PASSWORD}"',
      '    from: ferry@example.com',
      '    to: [data-team@example.com]',
      '    timeout_ms: 60000',
      'defaults:',
      '  notify: {on_failure: [mail], on_success: [mail]}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(project, 'pipelines', 'export.yaml'),
    [
      'name: audience-export',
      'source: {kind: s3, connection: s3, bucket: in-bucket, format: {kind: csv}}',
      'sink:',
      '  kind: s3',
      '  connection: s3',
      `  bucket: ${bucket}`,
      '  format: csv',
      '  notify: {to: [analyst@example.com], via: mail, link_expires: 2h}',
      '',
    ].join('\n'),
  );
  const env = { K: 'S3RVER', S: 'S3RVER', SMTP_PASSWORD };
  const loaded = loadProject({ cwd: project, env });
  expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return { project: loaded.project as Project, pipeline: loaded.pipelines[0] as Pipeline, env };
}

function result(overrides: Partial<RunResult>): RunResult {
  return {
    pipeline: 'audience-export',
    runId: '20261121T100000Z-beef',
    status: 'changes',
    counts: COUNTS,
    outputs: [],
    warnings: [],
    ...overrides,
  };
}

describe('email notifications', () => {
  it('emails the export link that downloads the written bytes, and the success message to the route', async () => {
    const smtp = await startSmtpReceiver({ users: { ferry: SMTP_PASSWORD } });
    try {
      const { project, pipeline, env } = await loadExportProject(smtp, { starttls: 'required' });
      const key = 'audiences/promoters 2026-11-21.csv';
      const bytes = randomBytes(4096);
      await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      const access = createS3Access(project, env);
      const now = new Date();
      try {
        const reports = await notifyAfterRun(
          {
            project,
            pipeline,
            result: result({ outputs: [{ bucket, key, format: 'csv', rows: 120, bytes: bytes.length }] }),
          },
          { env, projectDir: project.directory, s3Client: (name) => access.s3(name).client, now: () => now },
        );
        expect(reports.map((r) => [r.target, r.event, r.ok])).toEqual([
          ['mail', 'success', true],
          ['mail', 'success', true],
        ]);
      } finally {
        access.destroy();
      }
      expect(smtp.logins).toEqual([
        { username: 'ferry', password: SMTP_PASSWORD },
        { username: 'ferry', password: SMTP_PASSWORD },
      ]);
      expect(smtp.messages.every((m) => m.secure)).toBe(true); // STARTTLS before the login
      const route = smtp.messages.find((m) => m.to.includes('data-team@example.com'));
      const link = smtp.messages.find((m) => m.to.includes('analyst@example.com'));
      expect(route?.subject).toBe('[ferry] audience-export succeeded');
      expect(route?.text).toContain(`s3://${bucket}/${key}`);
      expect(route?.text).not.toContain('X-Amz-Signature');
      expect(link?.to).toEqual(['analyst@example.com']);
      expect(link?.subject).toBe('[ferry] audience-export: 1 file ready to download');
      const url = /^\s+(http:\/\/\S+)$/m.exec(link?.text ?? '')?.[1];
      expect(url).toBeDefined();
      expect(new URL(url ?? '').searchParams.get('X-Amz-Expires')).toBe('7200');
      expect(link?.text).toContain(`until ${new Date(now.getTime() + 7_200_000).toISOString()}`);
      const response = await fetch(url ?? '');
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
      for (const message of smtp.messages) expect(message.raw).not.toContain(SMTP_PASSWORD);
    } finally {
      await smtp.stop();
    }
  });

  it('sends a failure email with the error code and message', async () => {
    const smtp = await startSmtpReceiver({ users: { ferry: SMTP_PASSWORD } });
    try {
      const { project, pipeline, env } = await loadExportProject(smtp, { starttls: 'required' });
      const reports = await notifyAfterRun(
        {
          project,
          pipeline,
          result: result({
            status: 'error',
            error: { code: 'S3_NO_SUCH_BUCKET', message: 'Bucket in-bucket does not exist.' },
          }),
        },
        { env, projectDir: project.directory },
      );
      expect(reports.map((r) => [r.event, r.ok])).toEqual([['failure', true]]);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]?.subject).toBe('[ferry] audience-export failed: S3_NO_SUCH_BUCKET');
      expect(smtp.messages[0]?.text).toContain('Error S3_NO_SUCH_BUCKET: Bucket in-bucket does not exist.');
    } finally {
      await smtp.stop();
    }
  });

  it('with starttls: required, sends nothing (not even the login) to a server without STARTTLS', async () => {
    const smtp = await startSmtpReceiver({ starttls: false, users: { ferry: SMTP_PASSWORD } });
    try {
      const { project, pipeline, env } = await loadExportProject(smtp, { starttls: 'required' });
      const reports = await notifyAfterRun(
        { project, pipeline, result: result({ status: 'error', error: { code: 'X', message: 'x' } }) },
        { env, projectDir: project.directory, sleep: () => Promise.resolve() },
      );
      expect(reports).toEqual([expect.objectContaining({ ok: false, attempts: 1 })]);
      expect(reports[0]?.error?.code).toBe('NOTIFY_EMAIL_FAILED');
      expect(smtp.logins).toEqual([]);
      expect(smtp.messages).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  it('reports an export link that cannot be signed without sending a link-less email', async () => {
    const smtp = await startSmtpReceiver({ users: { ferry: SMTP_PASSWORD } });
    try {
      const { project, pipeline, env } = await loadExportProject(smtp, { starttls: 'required' });
      const reports = await notifyAfterRun(
        {
          project,
          pipeline,
          result: result({ outputs: [{ bucket, key: 'x.csv', format: 'csv', rows: 1, bytes: 1 }] }),
        },
        { env, projectDir: project.directory }, // no S3 client
      );
      expect(reports.map((r) => [r.ok, r.error?.code])).toEqual([
        [true, undefined],
        [false, 'NOTIFY_PRESIGN_FAILED'],
      ]);
      expect(smtp.messages.map((m) => m.to)).toEqual([['data-team@example.com']]);
    } finally {
      await smtp.stop();
    }
  });
});
