/**
 * F3: a webhook URL may hold a token (Slack: https://hooks.slack.com/services/T0/B0/<token>), so
 * `url` is a secret setting: the documented `url: "${env:OPS_WEBHOOK_URL}"` validates, no other
 * setting may read its variable, it is resolved only when sending, and nothing ferry prints or
 * records (also when the delivery fails) contains it: messages name the target.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFiles } from '../../harness/all-files.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startWebhookReceiver } from '../../harness/webhook-receiver.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

/** The first ```yaml block of `file` that contains `marker`. */
function yamlBlock(file: string, marker: string): string {
  const blocks = [...readFileSync(join(ROOT, file), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)];
  const block = blocks.map((m) => m[1] ?? '').find((text) => text.includes(marker));
  if (block === undefined) throw new Error(`${file} has no yaml block with ${marker}`);
  return block;
}

describe('the documented webhook targets', () => {
  it.each([
    ['README.md', 'ops-webhook: {kind: webhook'],
    ['docs/notifications.md', 'ops-webhook:\n'],
  ])('%s validates as written', async (file, marker) => {
    // The block's ferry.yaml part (the README's also shows a pipeline's lines after a comment).
    const notifications = yamlBlock(file, marker).split('\n# a pipeline')[0] ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'ferry-doc-webhook-'));
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(join(dir, 'ferry.yaml'), `version: 1\n${notifications}`);
    const run = await runCliCaptured(['validate'], { cwd: dir, env: {} });
    expect(run.output).not.toContain('CONFIG_');
    expect(run.code, run.output).toBe(0);
  });
});

describe('a webhook url that holds a token', () => {
  it('is refused to any other setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-webhook-url-'));
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(
      join(dir, 'ferry.yaml'),
      'version: 1\nnotifications:\n  hook: {kind: webhook, url: "${env:FERRY_OPS_WEBHOOK_URL}"}\n',
    );
    writeFileSync(
      join(dir, 'pipelines', 'p.yaml'),
      'name: p\ndescription: "${env:FERRY_OPS_WEBHOOK_URL}"\n' +
        'source: {kind: s3, connection: s3, bucket: b, format: {kind: csv}}\n' +
        'sink: {kind: s3, connection: s3, bucket: o, format: csv}\n',
    );
    const run = await runCliCaptured(['validate', '--format', 'json'], {
      cwd: dir,
      env: { FERRY_OPS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/SLACKsecret999' },
    });
    expect(run.stdout).toContain('CONFIG_REFERENCE_NOT_ALLOWED');
    expect(run.stdout).toContain('notifications.hook.url');
    expect(run.output).not.toContain('SLACKsecret999');
  });

  it('is resolved when sending and appears in no output, log or record when delivery fails', async () => {
    const token = `slack${randomBytes(12).toString('hex')}`;
    const hook = await startWebhookReceiver(() => ({ status: 500 }));
    try {
      const project = await createCliProject({
        server,
        label: 'webhook-url',
        extraYaml: [
          'notifications:',
          '  ops-webhook: {kind: webhook, url: "${env:OPS_WEBHOOK_URL}", max_attempts: 1}',
        ].join('\n'),
      });
      await server.client.send(
        new PutObjectCommand({ Bucket: project.input, Key: 'in/a.csv', Body: 'id,name\n1,Ada\n' }),
      );
      writeFileSync(
        join(project.dir, 'pipelines', 'p.yaml'),
        `name: p\nsource: {kind: s3, connection: s3, bucket: ${project.input}, prefix: in/, format: {kind: csv}}\n` +
          `sink: {kind: s3, connection: s3, bucket: ${project.output}, directory: out/, filename: 'out-{{run_id}}', format: csv}\n` +
          'notify: {on_success: [ops-webhook], on_failure: [ops-webhook]}\n',
      );
      const env = { ...CLI_PROJECT_ENV, OPS_WEBHOOK_URL: `${hook.url}/services/T0/B0/${token}` };
      const outputs: string[] = [];
      for (const args of [['validate'], ['plan', '--show-sql'], ['apply', '--log-format', 'json']]) {
        const run = await runCliCaptured(args, { cwd: project.dir, env });
        expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(0);
        outputs.push(run.output);
      }
      // Delivered to the resolved URL, which answered 500: reported by the target's name.
      expect(hook.requests.map((r) => r.path)).toEqual([`/hooks/ferry/services/T0/B0/${token}`]);
      const text = outputs.join('\n');
      expect(text).toContain('NOTIFY_WEBHOOK_REJECTED');
      expect(text).toContain('ops-webhook');
      const leaks = [
        ['output', text] as const,
        ...allFiles(project.dir).map((f) => [f, readFileSync(f, 'utf8')] as const),
      ].filter(([, content]) => content.includes(token));
      expect(leaks.map(([where]) => where)).toEqual([]);
    } finally {
      await hook.stop();
    }
  });
});
