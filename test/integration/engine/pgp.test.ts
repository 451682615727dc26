/**
 * PGP through whole pipelines against s3rver: a vendor drops gpg-encrypted, signed files; ferry
 * decrypts, verifies and loads them, and publishes encrypted, signed exports that gpg decrypts and
 * verifies. Every PGP failure fails the run with its code, names the object and the keys, uploads
 * nothing and leaves state as it was. Keys and the passphrase are `${file:…}` references.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchStep, WriteFilesStep } from '../../../engine/plan/plan-model.js';
import { renderPlanMarkdown } from '../../../engine/report/render-plan-markdown.js';
import { renderPlanText } from '../../../engine/report/render-plan-text.js';
import {
  FINGERPRINTS,
  FIXTURE_PASSPHRASE,
  email,
  fixturePath,
  startGnuPg,
  statusLines,
  type GnuPg,
} from '../../harness/gnupg.js';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

const CSV = 'id,name\n1,Ada\n2,Bob\n3,Cy\n';

let fx: EngineFixture;
let gpg: GnuPg;
beforeAll(async () => {
  fx = await startEngineFixture();
  gpg = await startGnuPg({ secret: ['ferry-ed25519', 'partner-ed25519', 'ferry-rsa', 'partner-rsa'] });
});
afterAll(async () => {
  await gpg?.stop();
  await fx?.stop();
});

type Kind = 'ed25519' | 'rsa';

/** A project whose connections carry ferry's `kind` key and both partners' public keys. */
async function createPgpProject(kind: Kind): Promise<TestProject> {
  const project = await fx.createProject();
  await mkdir(join(project.dir, 'keys'));
  await mkdir(join(project.dir, 'secrets'));
  await writeFile(
    join(project.dir, 'keys', 'ferry.sec.asc'),
    await readFile(fixturePath(`ferry-${kind}`, 'sec')),
  );
  await writeFile(join(project.dir, 'secrets', 'pgp-passphrase'), `${FIXTURE_PASSPHRASE}\n`);
  for (const partner of ['partner-ed25519', 'partner-rsa'] as const) {
    await writeFile(join(project.dir, 'keys', `${partner}.asc`), await readFile(fixturePath(partner, 'pub')));
  }
  const spec = parse(await readFile(join(project.dir, 'ferry.yaml'), 'utf8')) as {
    connections: Record<string, Record<string, unknown>>;
  };
  for (const connection of Object.values(spec.connections)) {
    connection['pgp'] = {
      private_key: '${file:keys/ferry.sec.asc}',
      passphrase: '${file:secrets/pgp-passphrase}',
      public_keys: ['keys/partner-ed25519.asc', 'keys/partner-rsa.asc'],
    };
  }
  await writeFile(join(project.dir, 'ferry.yaml'), stringify(spec));
  return project;
}

/** gpg's output for `plaintext` with `args` (recipients, signing, armor…). */
async function gpgMessage(plaintext: string | Buffer, args: readonly string[]): Promise<Buffer> {
  const dir = join(gpg.home, `msg-${Math.random().toString(36).slice(2)}`);
  await mkdir(dir);
  await writeFile(join(dir, 'in'), plaintext);
  const result = await gpg.run(['--output', join(dir, 'out'), ...args, join(dir, 'in')]);
  expect(result.code, result.stderr).toBe(0);
  return await readFile(join(dir, 'out'));
}

describe.each<Kind>(['ed25519', 'rsa'])('with %s keys', (kind) => {
  it('decrypts and verifies a vendor file, exports encrypted and signed; gpg reads the export', async () => {
    const project = await createPgpProject(kind);
    const partner = `partner-${kind}` as const;
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' }, decrypt: { kind: 'pgp', require_signature: true } },
      sink: {
        directory: 'out/',
        filename: '{{source_stem}}',
        format: 'csv',
        compress: 'gzip',
        encrypt: { kind: 'pgp', recipients: [email(partner)], sign: true },
      },
    });
    // gzip inside PGP: accounts.csv.gz.pgp, signed by the partner, to ferry and to the partner itself.
    await project.put(
      'in/accounts.csv.gz.pgp',
      await gpgMessage(gzipSync(CSV), [
        '--recipient',
        email(partner),
        '--recipient',
        email(`ferry-${kind}`),
        '--local-user',
        email(partner),
        '--sign',
        '--encrypt',
      ]),
    );
    const now = at('2024-05-01T06:00:00Z');

    const planned = await project.run('plan', { now });
    expect(planned.error).toBeUndefined();
    const fetch = planned.steps.find((s): s is FetchStep => s.kind === 'fetch');
    const write = planned.steps.find((s): s is WriteFilesStep => s.kind === 'write-files');
    expect(fetch?.decrypt?.keys.map((k) => k.fingerprint)).toEqual([FINGERPRINTS[`ferry-${kind}`]]);
    expect(fetch?.decrypt?.requireSignature).toBe(true);
    expect(fetch?.decrypt?.verifyWith.map((k) => k.fingerprint)).toEqual([
      FINGERPRINTS['partner-ed25519'],
      FINGERPRINTS['partner-rsa'],
    ]);
    expect(write?.encrypt?.recipients.map((k) => k.fingerprint)).toEqual([FINGERPRINTS[partner]]);
    expect(write?.encrypt?.signedBy?.fingerprint).toBe(FINGERPRINTS[`ferry-${kind}`]);
    expect(planned.outputs.map((o) => o.key)).toEqual(['out/accounts.csv.gz.pgp']);
    expect(planned.counts.rowsRead).toBe(3);
    const text = renderPlanText(
      { formatVersion: 1, createdAt: '', project: '', pipelines: [planned] },
      { verb: 'Plan' },
    );
    expect(text).toContain(`decrypt  with ${FINGERPRINTS[`ferry-${kind}`]}`);
    expect(text).toContain(`encrypt  to ${FINGERPRINTS[partner]}`);
    const markdown = renderPlanMarkdown({
      formatVersion: 1,
      createdAt: '',
      project: '',
      pipelines: [planned],
    });
    expect(markdown).toContain(`- encrypt to ${FINGERPRINTS[partner]} (`);
    // Escaped as all Markdown text is: entities, and no @-mention (a zero-width space after @).
    expect(markdown).toContain(`&lt;${email(partner).replace('@', '@\u200b')}&gt;`);
    // A plan names keys, never holds them.
    expect(JSON.stringify(planned)).not.toMatch(/BEGIN PGP|ferry-test-passphrase/);

    const applied = await project.run('apply', { now });
    expect(applied.error).toBeUndefined();
    expect(applied.outputs).toEqual([expect.objectContaining({ key: 'out/accounts.csv.gz.pgp', rows: 3 })]);
    const exported = await project.get('out/accounts.csv.gz.pgp');
    expect(exported.length).toBe(applied.outputs[0]?.bytes);

    // gpg, as the partner, decrypts the export and checks ferry's signature.
    const path = join(gpg.home, `export-${kind}.pgp`);
    await writeFile(path, exported);
    const result = await gpg.run(['--status-fd', '1', '--output', `${path}.out`, '--decrypt', path]);
    expect(result.code, result.stderr).toBe(0);
    const status = statusLines(result);
    expect(status.some((s) => s.startsWith('VALIDSIG ') && s.endsWith(FINGERPRINTS[`ferry-${kind}`]))).toBe(
      true,
    );
    expect(gunzipSync(await readFile(`${path}.out`)).toString()).toBe(CSV);

    const state = JSON.stringify(await project.hashState()) + JSON.stringify(await project.readState('p'));
    expect(state).not.toMatch(/BEGIN PGP|ferry-test-passphrase/);
  });
});

describe('a PGP failure fails the run, uploads nothing and leaves state as it was', () => {
  const ferryKey = FINGERPRINTS['ferry-ed25519'];
  const toFerry = ['--recipient', email('ferry-ed25519')];
  const signed = ['--local-user', email('partner-ed25519'), '--sign'];
  const cases: Array<{
    name: string;
    code: string;
    body: () => Promise<Buffer>;
    /** What else the message must name (key ids, fingerprints). */
    names: string[];
    before?: (project: TestProject) => Promise<void>;
  }> = [
    {
      name: 'encrypted to another key',
      code: 'PGP_WRONG_KEY',
      body: () => gpgMessage(CSV, ['--recipient', email('partner-rsa'), ...signed, '--encrypt']),
      names: ['ADEF7114502E15F7', ferryKey],
    },
    {
      name: 'a wrong passphrase',
      code: 'PGP_BAD_PASSPHRASE',
      body: () => gpgMessage(CSV, [...toFerry, ...signed, '--encrypt']),
      names: [ferryKey],
      before: async (project) =>
        await writeFile(join(project.dir, 'secrets', 'pgp-passphrase'), 'canary-wrong-passphrase-5d1c\n'),
    },
    {
      name: 'tampered',
      code: 'PGP_TAMPERED',
      body: async () => {
        const bytes = await gpgMessage('x'.repeat(10_000), [
          ...toFerry,
          ...signed,
          '--compress-algo',
          'none',
          '--encrypt',
        ]);
        const middle = Math.floor(bytes.length / 2);
        bytes[middle] = bytes[middle]! ^ 0x01;
        return bytes;
      },
      names: [ferryKey],
    },
    {
      name: 'truncated',
      code: 'PGP_TRUNCATED',
      body: async () => (await gpgMessage(CSV, [...toFerry, ...signed, '--encrypt'])).subarray(0, 120),
      names: [ferryKey],
    },
    {
      name: 'unsigned, with the signature required',
      code: 'PGP_SIGNATURE_MISSING',
      body: () => gpgMessage(CSV, [...toFerry, '--encrypt']),
      names: [FINGERPRINTS['partner-ed25519']],
    },
    {
      name: 'signed by a key that is not trusted',
      code: 'PGP_SIGNER_UNKNOWN',
      body: () => gpgMessage(CSV, [...toFerry, '--local-user', email('ferry-rsa'), '--sign', '--encrypt']),
      names: ['6ECEC9731E2BAE2A'],
    },
    {
      name: 'a compression bomb over max_bytes',
      code: 'PGP_TOO_LARGE',
      body: () => gpgMessage(Buffer.alloc(4 * 1024 * 1024), [...toFerry, ...signed, '--encrypt']),
      names: [ferryKey],
    },
    {
      name: 'not encrypted at all',
      code: 'PGP_NOT_ENCRYPTED',
      body: () => Promise.resolve(Buffer.from(CSV)),
      names: [ferryKey],
    },
  ];

  it('for each way a file can be wrong', async () => {
    const project = await createPgpProject('ed25519');
    await project.writePipeline('p', {
      name: 'p',
      source: {
        prefix: 'in/',
        format: { kind: 'csv' },
        decrypt: { kind: 'pgp', require_signature: true, max_bytes: 1024 * 1024 },
      },
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    });
    // A good first day, so there is committed state to protect.
    await project.put('in/day1.csv.pgp', await gpgMessage(CSV, [...toFerry, ...signed, '--encrypt']));
    const day1 = await project.run('apply', { now: at('2024-05-01T06:00:00Z') });
    expect(day1.error).toBeUndefined();
    const outputs = await project.list();
    expect(outputs.map((o) => o.key)).toEqual(['out/day1.csv']);
    const before = await project.hashState();
    const passphrase = await readFile(join(project.dir, 'secrets', 'pgp-passphrase'));

    for (const [index, c] of cases.entries()) {
      const key = `in/day2-${index}.csv.pgp`;
      await project.put(key, await c.body());
      await c.before?.(project);
      const failed = await project.run('apply', { now: at('2024-05-02T06:00:00Z') });
      expect(failed.error?.code, c.name).toBe(c.code);
      if (c.code !== 'PGP_BAD_PASSPHRASE')
        expect(failed.error?.message, c.name).toContain(`s3://${project.sourceBucket}/${key}`);
      for (const name of c.names) expect(failed.error?.message, c.name).toContain(name);
      expect(JSON.stringify(failed), c.name).not.toMatch(
        /canary-wrong-passphrase|ferry-test-passphrase|BEGIN PGP/,
      );
      expect(await project.list(), c.name).toEqual(outputs);
      const after = await project.hashState();
      for (const [path, hash] of Object.entries(before)) expect(after[path], `${c.name}: ${path}`).toBe(hash);
      const added = Object.keys(after).filter((k) => !(k in before));
      expect(
        added.every((k) => /^pipelines\/p\/runs\/[^/]+\.json$/.test(k)),
        c.name,
      ).toBe(true);
      for (const record of added) {
        expect(await readFile(join(project.stateDir, record), 'utf8')).not.toMatch(
          /canary-wrong|ferry-test-passphrase/,
        );
      }
      // Clean up for the next case: the bad object goes, the passphrase comes back.
      await fx.client.send(new DeleteObjectCommand({ Bucket: project.sourceBucket, Key: key }));
      await writeFile(join(project.dir, 'secrets', 'pgp-passphrase'), passphrase);
    }
  });

  it('a .pgp file without source.decrypt: PGP_NOT_CONFIGURED instead of unreadable CSV', async () => {
    const project = await createPgpProject('ed25519');
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv' } },
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    });
    await project.put('in/a.csv.pgp', await gpgMessage(CSV, [...toFerry, '--encrypt']));
    const failed = await project.run('apply', { now: at('2024-05-01T06:00:00Z') });
    expect(failed.error?.code).toBe('PGP_NOT_CONFIGURED');
    expect(failed.error?.location).toMatch(/pipelines\/p\.yaml:\d+:\d+$/);
    expect(await project.readState('p')).toBeUndefined();
  });
});
