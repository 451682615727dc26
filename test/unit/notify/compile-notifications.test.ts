/**
 * Who hears what after a run (pure), and the notification settings as normalized from YAML: routes,
 * `defaults.notify`, on_stale falling back to on_failure, secrets and header values kept as written.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, Project } from '../../../engine/config/model.js';
import { compileNotifications, type RunResult } from '../../../engine/notify/compile-notifications.js';
import { renderNotificationEmail } from '../../../engine/notify/render-notification-email.js';
import { loadProject } from '../../../engine/project/load-project.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const SECRET_VALUE = 'canary-never-in-config-2b7e';
const COUNTS = {
  filesMatched: 1,
  filesNew: 1,
  filesSkipped: 0,
  rowsRead: 5,
  rowsRejected: 0,
  rowsAdded: 5,
  rowsChanged: 0,
  rowsRemoved: 0,
  rowsUnchanged: 0,
  rowsWritten: 5,
  objectsWritten: 1,
};

let dir: string;
let project: Project;
let pipelines: Pipeline[];

const FERRY_YAML = `version: 1
connections:
  s3: {endpoint: "http://127.0.0.1:9", force_path_style: true, auth: {kind: static, access_key_id: "\${env:K}", secret_access_key: "\${env:S}"}}
notifications:
  ops:
    kind: webhook
    url: https://hooks.example.com/ferry
    secret: "\${env:HOOK_SECRET}"
    headers: {Authorization: "Bearer \${env:HOOK_TOKEN}", X-Team: "\${env:TEAM:-data}"}
  mail:
    kind: smtp
    host: smtp.example.com
    password: "\${env:SMTP_PASSWORD}"
    from: ferry@example.com
    to: [data@example.com]
defaults:
  notify: {on_failure: [mail]}
`;

const PIPELINES_YAML = `pipelines:
  - name: inherits-defaults
    source: {kind: s3, connection: s3, bucket: in-b, format: {kind: csv}}
    sink: {kind: s3, connection: s3, bucket: out-b, format: csv}
  - name: own-routes
    source: {kind: s3, connection: s3, bucket: in-b, format: {kind: csv}}
    sink:
      kind: s3
      connection: s3
      bucket: out-b
      format: csv
      notify: {to: [analyst@example.com], via: mail}
    notify: {on_failure: [ops, mail], on_success: [ops], on_stale: [ops]}
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-notify-unit-'));
  await mkdir(join(dir, 'pipelines'));
  await writeFile(join(dir, 'ferry.yaml'), FERRY_YAML);
  await writeFile(join(dir, 'pipelines', 'p.yaml'), PIPELINES_YAML);
  // Every referenced variable is set: none of them may end up in the loaded configuration.
  const env = {
    K: 'k',
    S: 's',
    HOOK_SECRET: SECRET_VALUE,
    HOOK_TOKEN: SECRET_VALUE,
    SMTP_PASSWORD: SECRET_VALUE,
  };
  const loaded = loadProject({ cwd: dir, env });
  expect(loaded.problems).toEqual([]);
  project = loaded.project as Project;
  pipelines = loaded.pipelines;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pipeline(name: string): Pipeline {
  const found = pipelines.find((p) => p.name === name);
  if (!found) throw new Error(name);
  return found;
}

function result(overrides: Partial<RunResult>): RunResult {
  return {
    pipeline: 'p',
    runId: 'r1',
    status: 'changes',
    counts: COUNTS,
    outputs: [],
    warnings: [],
    ...overrides,
  };
}

describe('notification settings', () => {
  it('keep secrets and header values as references, with defaults applied', () => {
    expect(project.notifications).toEqual({
      ops: expect.objectContaining({
        kind: 'webhook',
        secret: { ref: '${env:HOOK_SECRET}' },
        headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}', 'X-Team': '${env:TEAM:-data}' },
        timeoutMs: 10_000,
        maxAttempts: 3,
      }),
      mail: expect.objectContaining({
        kind: 'smtp',
        port: 587,
        secure: false,
        starttls: 'required',
        tlsRejectUnauthorized: true,
        password: { ref: '${env:SMTP_PASSWORD}' },
        to: ['data@example.com'],
      }),
    });
    expect(JSON.stringify({ project, pipelines })).not.toContain(SECRET_VALUE);
    expect(project.notifyDefaults).toEqual({ onFailure: ['mail'], onSuccess: [], onStale: ['mail'] });
    expect(pipeline('inherits-defaults').notify).toBeUndefined();
    expect(pipeline('own-routes').notify).toEqual({
      onFailure: ['ops', 'mail'],
      onSuccess: ['ops'],
      onStale: ['ops'],
    });
    const sink = pipeline('own-routes').sink;
    expect(sink.kind === 's3' && sink.notify).toEqual({
      to: ['analyst@example.com'],
      via: 'mail',
      linkExpiresMs: 24 * 3_600_000,
    });
  });
});

describe('compileNotifications', () => {
  const compile = (name: string, r: Partial<RunResult>) =>
    compileNotifications(pipeline(name), project, result(r), { now: NOW }).map((n) => ({
      kind: n.event.kind,
      targets: n.routes.map((route) => route.target.name + (route.to ? `→${route.to.join(',')}` : '')),
      presign: n.presign,
    }));

  it('tells the defaults.notify targets about a failure of a pipeline without routes', () => {
    expect(compile('inherits-defaults', { status: 'error', error: { code: 'E', message: 'm' } })).toEqual([
      { kind: 'failure', targets: ['mail'], presign: undefined },
    ]);
  });

  it('sends nothing for a run with nothing to do, or a disabled pipeline', () => {
    expect(compile('own-routes', { status: 'no-changes' })).toEqual([]);
    expect(compile('own-routes', { status: 'disabled' })).toEqual([]);
  });

  it('sends no failure when another run holds the lock or ferry was stopped', () => {
    for (const code of ['LOCK_HELD', 'RUN_INTERRUPTED']) {
      expect(compile('own-routes', { status: 'error', error: { code, message: 'm' } })).toEqual([]);
    }
  });

  it('sends success to on_success and the export link to sink.notify.to through its SMTP target', () => {
    const outputs = [{ bucket: 'out-b', key: 'a.csv', format: 'csv', rows: 5, bytes: 10 }];
    expect(compile('own-routes', { outputs })).toEqual([
      { kind: 'success', targets: ['ops'], presign: undefined },
      {
        kind: 'success',
        targets: ['mail→analyst@example.com'],
        presign: { connection: 's3', expiresMs: 24 * 3_600_000 },
      },
    ]);
  });

  it('sends stale on SEQUENCE_OVERDUE, next to the run’s own outcome', () => {
    const warnings = [{ code: 'SEQUENCE_OVERDUE', message: 'The next file is overdue.' }];
    expect(compile('own-routes', { status: 'no-changes', warnings })).toEqual([
      { kind: 'stale', targets: ['ops'], presign: undefined },
    ]);
    // on_stale falls back to on_failure (defaults: mail).
    expect(compile('inherits-defaults', { status: 'no-changes', warnings })).toEqual([
      { kind: 'stale', targets: ['mail'], presign: undefined },
    ]);
  });

  it('builds events from the result only', () => {
    const [failure] = compileNotifications(
      pipeline('own-routes'),
      project,
      result({ status: 'error', error: { code: 'S3_ACCESS_DENIED', message: 'refused', hint: 'h' } }),
      { now: NOW },
    );
    expect(failure?.event).toEqual({
      version: 1,
      kind: 'failure',
      pipeline: 'p',
      runId: 'r1',
      counts: COUNTS,
      error: { code: 'S3_ACCESS_DENIED', message: 'refused' },
      at: NOW.toISOString(),
    });
  });
});

describe('renderNotificationEmail', () => {
  it('says what happened in the subject and lists counts and files', () => {
    const mail = renderNotificationEmail({
      version: 1,
      kind: 'success',
      pipeline: 'p',
      runId: 'r1',
      counts: COUNTS,
      outputs: [
        {
          bucket: 'b',
          key: 'k.csv',
          presignedUrl: 'http://x/k.csv?sig',
          expiresAt: '2026-11-22T10:00:00.000Z',
        },
      ],
      at: NOW.toISOString(),
    });
    expect(mail.subject).toBe('[ferry] p: 1 file ready to download');
    expect(mail.text).toContain('  rows written: 5');
    expect(mail.text).toContain(
      '  s3://b/k.csv\n    http://x/k.csv?sig\n    (link works until 2026-11-22T10:00:00.000Z)',
    );
  });
});
