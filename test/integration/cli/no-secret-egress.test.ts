/**
 * I6: no secret value in stdout, stderr, plan files, state, run records or error messages.
 * Secrets are random canaries passed by reference; every artifact of a successful and of a failing
 * run is searched for them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../../engine/cli/main.js';
import { startFaultProxy } from '../../harness/fault-proxy.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}

it('canary secrets appear in no output, plan file, state or error', async () => {
  const canary = `canary-${randomBytes(12).toString('hex')}`;
  const input = uniqueBucket('in');
  const output = uniqueBucket('out');
  await server.createBucket(input);
  await server.createBucket(output);
  await server.client.send(new PutObjectCommand({ Bucket: input, Key: 'a.csv', Body: 'id\n1\n' }));
  const dir = mkdtempSync(join(tmpdir(), 'ferry-canary-'));
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(
    join(dir, 'ferry.yaml'),
    `version: 1\nconnections:\n  s3:\n    endpoint: ${server.endpoint}\n    force_path_style: true\n    auth:\n      kind: static\n      access_key_id: "\${env:KEY_ID}"\n      secret_access_key: "\${env:SECRET}"\n      session_token: "\${env:TOKEN}"\n`,
  );
  const pipeline = (bucket: string) =>
    `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${bucket}, filename: 'out-{{run_id}}', format: csv}\n`;
  writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline(output));
  // s3rver checks signatures with its own keys; the canary rides along as the session token,
  // which is sent with every request and must never come back out.
  const env = { KEY_ID: 'S3RVER', SECRET: 'S3RVER', TOKEN: canary };
  let text = '';
  const io = {
    stdout: (t: string) => void (text += t),
    stderr: (t: string) => void (text += t),
    color: false,
  };
  expect(await runCli(['validate'], { cwd: dir, env, output: io })).toBe(0);
  expect(
    await runCli(['plan', '--out', 'plan.json', '--show-sql', '--format', 'json'], {
      cwd: dir,
      env,
      output: io,
    }),
  ).toBe(0);
  expect(await runCli(['apply'], { cwd: dir, env, output: io })).toBe(0);
  // A failing run: the sink bucket does not exist.
  writeFileSync(
    join(dir, 'pipelines', 'p.yaml'),
    pipeline(uniqueBucket('missing')).replace('name: p', 'name: q'),
  );
  expect(await runCli(['apply'], { cwd: dir, env, output: io })).toBe(1);
  expect(text).toContain('SINK_BUCKET_MISSING');
  for (const secret of [canary, 'S3RVER']) {
    expect(text).not.toContain(secret);
    for (const file of allFiles(dir).filter((f) => !f.endsWith('ferry.yaml'))) {
      expect(readFileSync(file).includes(secret), `${secret} found in ${file}`).toBe(false);
    }
  }
});

/** An access key id of AWS's shape (AKIA + 16), random so that nothing else can contain it. */
function canaryAccessKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `AKIA${[...randomBytes(16)].map((b) => alphabet[b % alphabet.length] ?? 'A').join('')}`;
}

it('a server error that echoes the credentials is printed and recorded without them (item 7)', async () => {
  const proxy = await startFaultProxy({ upstream: server.endpoint });
  try {
    const keyId = canaryAccessKeyId();
    const secret = `secret-${randomBytes(12).toString('hex')}`;
    const token = `token-${randomBytes(12).toString('hex')}`;
    const input = uniqueBucket('in');
    const dir = mkdtempSync(join(tmpdir(), 'ferry-echo-'));
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(
      join(dir, 'ferry.yaml'),
      `version: 1\nconnections:\n  s3:\n    endpoint: ${proxy.endpoint}\n    force_path_style: true\n    auth:\n      kind: static\n      access_key_id: "\${env:KEY_ID}"\n      secret_access_key: "\${env:SECRET}"\n      session_token: "\${env:TOKEN}"\n`,
    );
    writeFileSync(
      join(dir, 'pipelines', 'p.yaml'),
      `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${uniqueBucket('out')}, format: csv}\n`,
    );
    // The proxy answers for the server: 400 with the request's credentials in the error message.
    proxy.addRule({
      match: { bucket: input },
      fault: {
        kind: 'status',
        status: 400,
        code: 'InvalidRequest',
        echoHeaders: ['x-amz-security-token', 'authorization'],
      },
    });
    const env = { KEY_ID: keyId, SECRET: secret, TOKEN: token };
    const run = await runCliCaptured(['apply'], { cwd: dir, env });
    expect(run.code).toBe(1);
    expect(run.output).toContain('S3_UNEXPECTED');
    // The echo did reach ferry (so the absence below is redaction, not a lost message).
    expect(run.output).toContain('x-amz-security-token: ***');
    const records = allFiles(join(dir, 'state')).filter((f) => f.includes('/runs/'));
    expect(records.length).toBe(1);
    const artifacts = [run.output, ...records.map((f) => readFileSync(f, 'utf8'))];
    for (const text of artifacts) {
      for (const value of [token, secret, keyId, keyId.slice(0, 16)]) expect(text).not.toContain(value);
      expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
    }
    expect(artifacts[1]).toContain('x-amz-security-token: ***');
  } finally {
    await proxy.close();
  }
});
