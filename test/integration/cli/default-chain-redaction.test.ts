/**
 * F2 / docs/security.md R4: credentials that the SDK's default chain resolves by itself (here a
 * profile in a shared credentials file, as ~/.aws/credentials, SSO or a container role would give)
 * are never printed or recorded, even by a server that echoes them in its error message. Only the
 * registered values can be redacted, so ferry must register whatever the chain resolves.
 *
 * The built CLI runs as a child process: the SDK reads AWS_PROFILE and the credentials files from
 * the process environment, and each run must start with a fresh SDK (no cached profile files).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFiles } from '../../harness/all-files.js';
import { startFerryProcess } from '../../harness/ferry-process.js';

/** A careless S3-compatible server: every request gets a 400 whose message quotes its credentials. */
function startEchoingServer(): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const echoed = ['x-amz-security-token', 'authorization']
        .map((name) => `${name}: ${String(req.headers[name])}`)
        .join('; ');
      const body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code>' +
        `<Message>Denied for ${echoed.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message>` +
        '<RequestId>echo-1</RequestId></Error>';
      res.writeHead(400, {
        'content-type': 'application/xml',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, endpoint: `http://127.0.0.1:${port}` });
    });
  });
}

let echo: { server: Server; endpoint: string };
beforeAll(async () => {
  echo = await startEchoingServer();
});
afterAll(async () => {
  await new Promise((resolve) => echo?.server.close(resolve));
});

describe('credentials from the default chain (a profile file)', () => {
  it('appear in no output, error or run record when the server echoes them', async () => {
    const secretKey = `profileSecret${randomBytes(12).toString('hex')}`;
    const sessionToken = `profileToken${randomBytes(16).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'ferry-default-chain-'));
    // A home of its own: the real ~/.aws is never read.
    const home = join(dir, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    const credentialsFile = join(home, '.aws', 'credentials');
    const configFile = join(home, '.aws', 'config');
    writeFileSync(
      credentialsFile,
      [
        '[ferry-test]',
        'aws_access_key_id = FERRYTESTPROFILEKEY',
        `aws_secret_access_key = ${secretKey}`,
        `aws_session_token = ${sessionToken}`,
        '',
      ].join('\n'),
    );
    writeFileSync(configFile, '[profile ferry-test]\nregion = us-east-1\n');
    const project = join(dir, 'project');
    mkdirSync(join(project, 'pipelines'), { recursive: true });
    writeFileSync(
      join(project, 'ferry.yaml'),
      [
        'version: 1',
        'connections:',
        '  s3:',
        `    endpoint: ${echo.endpoint}`,
        '    force_path_style: true',
        '    max_attempts: 1',
        '    auth: {kind: default, allow_custom_endpoint: true}',
        'state: {kind: local, directory: state}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'pipelines', 'echoed.yaml'),
      'name: echoed\nsource: {kind: s3, connection: s3, bucket: src, prefix: in/, format: {kind: csv}}\n' +
        "sink: {kind: s3, connection: s3, bucket: out, directory: echoed/, filename: 'out-{{run_id}}', format: csv}\n",
    );
    const env: Record<string, string> = {
      HOME: home,
      AWS_PROFILE: 'ferry-test',
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_CONFIG_FILE: configFile,
      // Nothing else in the chain may answer first (the SDK skips empty variables).
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    const outputs: Array<[string, string]> = [];
    for (const args of [['plan'], ['apply'], ['apply', '--log-format', 'json'], ['check']]) {
      const run = await startFerryProcess({ cwd: project, args, env }).exited;
      expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(1);
      outputs.push([`ferry ${args.join(' ')}`, run.output]);
    }
    // The server did echo the profile's session token, so only redaction kept it out.
    expect(outputs.map(([, text]) => text).join('\n')).toContain('x-amz-security-token: ***');
    const records = allFiles(join(project, 'state')).filter((f) => f.includes(`${join('runs', '')}`));
    expect(records.length).toBeGreaterThan(0);
    const artifacts = [
      ...outputs,
      ...allFiles(project).map((f) => [f, readFileSync(f, 'utf8')] as [string, string]),
    ];
    const leaks = artifacts.flatMap(([where, text]) =>
      Object.entries({ secretKey, sessionToken })
        .filter(([, value]) => text.includes(value) || text.includes(encodeURIComponent(value)))
        .map(([name]) => `${where}: ${name}`),
    );
    expect(leaks).toEqual([]);
  });
});
