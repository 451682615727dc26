/**
 * I6: no secret value in stdout, stderr, plan files, state, run records, rejected-rows files, logs,
 * S3 objects or error messages. Secrets are random canaries passed by reference — in every kind of
 * secret setting, by `${env:}` and `${file:}` — and every artifact of validate, plan, apply (a
 * success and a failure), state, policy and check is searched for them, as is, base64 and URL-encoded.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createMessage, encrypt, generateKey, readKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFiles } from '../../harness/all-files.js';
import { startFaultProxy } from '../../harness/fault-proxy.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startSmtpReceiver } from '../../harness/smtp-receiver.js';
import { startStsStandIn } from '../../harness/sts-stand-in.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';
import { startWebhookReceiver } from '../../harness/webhook-receiver.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

/** Every form a secret could take on the way out: as is, base64, URL-encoded. */
function encodings(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)];
}

/** "where: canary (form)" for every artifact that holds a canary in any of its forms. */
function leaks(
  artifacts: ReadonlyArray<readonly [string, Buffer]>,
  canaries: Record<string, string>,
): string[] {
  return artifacts.flatMap(([where, bytes]) =>
    Object.entries(canaries).flatMap(([name, value]) =>
      encodings(value)
        .filter((form) => bytes.includes(form))
        .map((form) => `${where}: ${name}${form === value ? '' : ` (${form})`}`),
    ),
  );
}

/** A PGP key of its own with a canary passphrase; the canary of the key is a line of its armor. */
async function canaryPgpKey(passphrase: string): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await generateKey({
    userIDs: [{ email: 'canary@example.com' }],
    passphrase,
    format: 'armored',
  });
  return { privateKey, publicKey };
}

const armorLine = (armored: string) =>
  armored
    .split('\n')
    .filter((line) => /^[A-Za-z0-9+/]{40,}$/.test(line))
    .sort((a, b) => b.length - a.length)[0] ?? '';

/**
 * The same project with its state kept locally and on S3: the commands a person, CI and `serve` run,
 * each of whose outputs, and every file and object left behind, is searched for every canary.
 */
describe.each(['local', 's3'] as const)('canary secrets (state %s)', (stateKind) => {
  it('appear in no output, plan file, state, run record, rejected-rows file, log or object', async () => {
    const canary = (label: string) => `canary-${label}-${randomBytes(12).toString('hex')}`;
    const pgpPassphrase = canary('pgp-passphrase');
    const pgp = await canaryPgpKey(pgpPassphrase);
    const canaries: Record<string, string> = {
      sessionTokenFile: canary('session-token-file'),
      externalId: canary('external-id'),
      sourceKeyIdFile: canaryAccessKeyId(),
      sourceSecretEnv: canary('source-secret-env'),
      badKeyIdEnv: canaryAccessKeyId(),
      badSecretFile: canary('bad-secret-file'),
      badTokenEnv: canary('bad-token-env'),
      stateToken: canary('state-token'),
      pgpPassphrase,
      pgpPrivateKey: armorLine(pgp.privateKey),
      webhookPath: canary('webhook-url'),
      webhookHeader: canary('webhook-header'),
      webhookSecret: canary('webhook-secret'),
      smtpPassword: canary('smtp-password'),
    };
    expect(canaries['pgpPrivateKey']?.length).toBeGreaterThanOrEqual(40);
    const sts = await startStsStandIn({ requireExternalId: canaries['externalId'] ?? '' });
    const hook = await startWebhookReceiver();
    // The failing connection goes through a careless server that echoes the request's credentials
    // in its error message: only redaction keeps them out.
    const proxy = await startFaultProxy({ upstream: server.endpoint });
    proxy.addRule({
      match: {},
      fault: {
        kind: 'status',
        status: 400,
        code: 'InvalidRequest',
        echoHeaders: ['x-amz-security-token', 'authorization'],
      },
    });
    const smtp = await startSmtpReceiver({
      starttls: false,
      users: { ferry: canaries['smtpPassword'] ?? '' },
    });
    try {
      const [input, output, state] = [uniqueBucket('in'), uniqueBucket('out'), uniqueBucket('state')];
      for (const bucket of [input, output, state]) await server.createBucket(bucket);
      // A ragged row (kept in a rejected-rows file) and a PGP file the assume-role connection decrypts.
      const put = (key: string, body: string | Uint8Array) =>
        server.client.send(new PutObjectCommand({ Bucket: input, Key: key, Body: body }));
      await put('plain/a.csv', 'id,name\n1,Ada\n2\n');
      const encrypted = await encrypt({
        message: await createMessage({ text: 'id,name\n3,Cy\n' }),
        encryptionKeys: await readKey({ armoredKey: pgp.publicKey }),
        format: 'binary',
      });
      await put('sealed/b.csv.pgp', encrypted);

      const dir = mkdtempSync(join(tmpdir(), 'ferry-canary-'));
      mkdirSync(join(dir, 'pipelines'));
      mkdirSync(join(dir, 'secrets'));
      const secretFiles = {
        'session-token': canaries['sessionTokenFile'],
        'source-key-id': canaries['sourceKeyIdFile'],
        'bad-secret': canaries['badSecretFile'],
        'pgp.asc': pgp.privateKey,
      };
      for (const [name, value] of Object.entries(secretFiles))
        writeFileSync(join(dir, 'secrets', name), `${value ?? ''}\n`);
      const staticAuth = (keyId: string, secret: string, token: string) =>
        `{kind: static, access_key_id: "${keyId}", secret_access_key: "${secret}", session_token: "${token}"}`;
      const connection = (name: string, auth: string, extra: string[] = [], endpoint = server.endpoint) => [
        `  ${name}:`,
        `    endpoint: ${endpoint}`,
        '    force_path_style: true',
        `    auth: ${auth}`,
        ...extra.map((line) => `    ${line}`),
      ];
      writeFileSync(
        join(dir, 'ferry.yaml'),
        [
          'version: 1',
          'connections:',
          ...connection('s3', staticAuth('${env:K}', '${env:S}', '${file:secrets/session-token}')),
          ...connection(
            'vendor',
            [
              '{kind: assume_role, role_arn: "arn:aws:iam::210987654321:role/ferry-reader",',
              'external_id: "${env:FERRY_EXTERNAL_ID}",',
              `sts_endpoint: "${sts.endpoint}", allow_custom_endpoint: true,`,
              'source: {kind: static, access_key_id: "${file:secrets/source-key-id}", secret_access_key: "${env:SOURCE_SECRET}"}}',
            ].join(' '),
            ['pgp: {private_key: "${file:secrets/pgp.asc}", passphrase: "${env:PGP_PASSPHRASE}"}'],
          ),
          ...connection(
            'bad',
            staticAuth('${env:BAD_KEY_ID}', '${file:secrets/bad-secret}', '${env:BAD_TOKEN}'),
            [],
            proxy.endpoint,
          ),
          ...connection('state', staticAuth('${env:K}', '${env:S}', '${env:STATE_TOKEN}')),
          ...(stateKind === 's3'
            ? [
                'state: {kind: s3, connection: state, bucket: ' +
                  state +
                  ', prefix: ferry/, lock: unsafe-single-writer}',
              ]
            : []),
          'notifications:',
          '  hook: {kind: webhook, url: "${env:FERRY_HOOK_URL}", headers: {Authorization: "${env:FERRY_HOOK_AUTH}"},',
          '         secret: "${env:HOOK_SECRET}", max_attempts: 1}',
          `  mail: {kind: smtp, host: 127.0.0.1, port: ${smtp.port}, starttls: "off", username: ferry,`,
          '         password: "${env:SMTP_PASSWORD}", from: ferry@example.com, to: [ops@example.com]}',
          'defaults:',
          '  notify: {on_failure: [hook, mail], on_success: [hook, mail]}',
          '',
        ].join('\n'),
      );
      const pipeline = (name: string, connection: string, prefix: string, extra = '') =>
        `name: ${name}\nsource: {kind: s3, connection: ${connection}, bucket: ${input}, prefix: ${prefix}, ` +
        `format: {kind: csv, max_rejects: 5}${extra}}\n` +
        `sink: {kind: s3, connection: s3, bucket: ${output}, directory: ${name}/, filename: 'out-{{run_id}}', format: csv}\n`;
      writeFileSync(join(dir, 'pipelines', 'plain.yaml'), pipeline('plain', 's3', 'plain/'));
      writeFileSync(
        join(dir, 'pipelines', 'sealed.yaml'),
        pipeline('sealed', 'vendor', 'sealed/', ', decrypt: {kind: pgp}'),
      );
      // Fails at run time: the server answers 400 with the credentials it was sent.
      writeFileSync(join(dir, 'pipelines', 'denied.yaml'), pipeline('denied', 'bad', 'plain/'));
      const env = {
        K: 'S3RVER',
        S: 'S3RVER',
        FERRY_EXTERNAL_ID: canaries['externalId'],
        SOURCE_SECRET: canaries['sourceSecretEnv'],
        BAD_KEY_ID: canaries['badKeyIdEnv'],
        BAD_TOKEN: canaries['badTokenEnv'],
        STATE_TOKEN: canaries['stateToken'],
        PGP_PASSPHRASE: canaries['pgpPassphrase'],
        FERRY_HOOK_URL: `${hook.url}/${canaries['webhookPath'] ?? ''}`,
        FERRY_HOOK_AUTH: `Bearer ${canaries['webhookHeader'] ?? ''}`,
        HOOK_SECRET: canaries['webhookSecret'],
        SMTP_PASSWORD: canaries['smtpPassword'],
      };

      const commands: Array<{ args: string[]; code: number }> = [
        { args: ['validate'], code: 0 },
        { args: ['validate', '--format', 'json'], code: 0 },
        { args: ['plan', '--show-sql'], code: 1 },
        { args: ['plan', '--format', 'markdown'], code: 1 },
        { args: ['plan', '--format', 'json', '--show-sql', '--out', 'plan.json'], code: 1 },
        { args: ['apply'], code: 1 },
        { args: ['apply', '--log-format', 'json'], code: 1 },
        { args: ['state', 'list'], code: 0 },
        { args: ['state', 'show', 'plain'], code: 0 },
        { args: ['policy'], code: 0 },
        { args: ['check'], code: 1 },
      ];
      const outputs: Array<readonly [string, Buffer]> = [];
      for (const { args, code } of commands) {
        if (args.includes('--log-format')) await put('plain/c.csv', 'id,name\n4,Di\n5\n');
        const run = await runCliCaptured(args, { cwd: dir, env });
        expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(code);
        outputs.push([`ferry ${args.join(' ')} (stdout)`, Buffer.from(run.stdout)]);
        outputs.push([`ferry ${args.join(' ')} (stderr)`, Buffer.from(run.stderr)]);
      }
      // The runs did their work, so every secret was used: the key decrypted, the role was assumed,
      // the notifications were sent and signed, the bad keys were echoed back (and redacted).
      const text = outputs.map(([, bytes]) => bytes.toString()).join('\n');
      expect(text).toContain('S3_UNEXPECTED');
      expect(text).toContain('x-amz-security-token: ***');
      const written = (await listAll(server.client, output)).map((o) => o.key.split('/')[0]);
      expect(new Set(written)).toEqual(new Set(['plain', 'sealed']));
      expect(hook.requests.length).toBeGreaterThan(0);
      expect(hook.requests[0]?.headers['authorization']).toBe(env.FERRY_HOOK_AUTH);
      expect(smtp.messages.length).toBeGreaterThan(0);
      expect(smtp.logins).toContainEqual({ username: 'ferry', password: canaries['smtpPassword'] });
      const files = allFiles(dir).filter((f) => !f.startsWith(join(dir, 'secrets')));
      expect(files.some((f) => f.endsWith('.rejected.csv'))).toBe(stateKind === 'local');
      const objects = allFiles(server.directory);
      expect(objects.some((f) => f.includes('.rejected.csv'))).toBe(stateKind === 's3');
      const artifacts = [
        ...outputs,
        ...[...files, ...objects].map((f) => [f, readFileSync(f)] as const),
        // What went to third parties beyond the secret each one is meant to get (its own header).
        ...hook.requests.map((r, i) => [`webhook request ${i} body`, Buffer.from(r.body)] as const),
        ...smtp.messages.map((m, i) => [`mail ${i}`, Buffer.from(m.raw)] as const),
      ];
      expect(leaks(artifacts, canaries)).toEqual([]);
      for (const [where, bytes] of artifacts)
        expect(bytes.toString('latin1'), where).not.toMatch(/Signature=[0-9a-f]{64}/);
      // The S3RVER keys are test keys, yet keys all the same: they never come out either.
      expect(
        leaks(
          artifacts.filter(([where]) => !where.startsWith(server.directory)),
          { s3rver: 'S3RVER' },
        ),
      ).toEqual([]);
    } finally {
      await smtp.stop();
      await proxy.close();
      await hook.stop();
      await sts.close();
    }
  });
});

/** An access key id of AWS's shape (AKIA + 16), random so that nothing else can contain it. */
function canaryAccessKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `AKIA${[...randomBytes(16)].map((b) => alphabet[b % alphabet.length] ?? 'A').join('')}`;
}
