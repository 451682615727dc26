/**
 * A connection's pgp settings → its keyring at run time: references resolved from the run's
 * environment and files (relative to the project), public keys from paths or from a reference's
 * value; failures name the entry, never its content or a secret.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { normalizeProject } from '../../../engine/config/normalize-project.js';
import { createPgpKeyAccess, resolvePgpKeys } from '../../../engine/run/resolve-pgp-keys.js';
import { FINGERPRINTS, FIXTURE_PASSPHRASE, fixturePath, readFixture } from '../../harness/gnupg.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgp-resolve-'));
  await mkdir(join(dir, 'keys'));
  await copyFile(fixturePath('partner-rsa', 'pub'), join(dir, 'keys', 'partner-rsa.asc'));
  await copyFile(fixturePath('ferry-ed25519', 'sec'), join(dir, 'keys', 'ferry.sec.asc'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const project = (pgp: Record<string, unknown>) =>
  normalizeProject(
    { version: 1, connections: { vendor: { region: 'us-east-1', pgp } } },
    { file: 'ferry.yaml', directory: dir },
  );

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );

it('resolves the private key from a file reference and the passphrase from the run environment', async () => {
  const env = { PGP_PASS: FIXTURE_PASSPHRASE };
  const partnerEd = await readFixture('partner-ed25519', 'pub');
  const keyring = await resolvePgpKeys('vendor', {
    project: project({
      private_key: '${file:keys/ferry.sec.asc}',
      passphrase: '${env:PGP_PASS}',
      // A path relative to the project, and a reference's value (already resolved at load time).
      public_keys: ['keys/partner-rsa.asc', partnerEd],
    }),
    env,
  });
  expect(keyring.privateKeys.map((k) => k.getFingerprint().toUpperCase())).toEqual([
    FINGERPRINTS['ferry-ed25519'],
  ]);
  expect(keyring.privateKeys[0]?.isDecrypted()).toBe(true);
  expect(keyring.publicKeys.map((k) => k.getFingerprint().toUpperCase())).toEqual([
    FINGERPRINTS['partner-rsa'],
    FINGERPRINTS['partner-ed25519'],
  ]);
});

it('an unset passphrase variable: SECRET_UNRESOLVED naming the field', async () => {
  const error = await failure(
    resolvePgpKeys('vendor', {
      project: project({ private_key: '${file:keys/ferry.sec.asc}', passphrase: '${env:PGP_PASS}' }),
      env: {},
    }),
  );
  expect(error?.code).toBe('SECRET_UNRESOLVED');
  expect(error?.message).toContain('pgp.passphrase');
});

it('a missing key file: PGP_KEY_UNREADABLE; key text that is no key: PGP_KEY_INVALID without its content', async () => {
  const missing = await failure(
    resolvePgpKeys('vendor', { project: project({ public_keys: ['keys/nope.asc'] }), env: {} }),
  );
  expect(missing?.code).toBe('PGP_KEY_UNREADABLE');
  expect(missing?.message).toContain('keys/nope.asc');
  const garbage = 'not\na key \u0001 canary-content-93b1';
  const invalid = await failure(
    resolvePgpKeys('vendor', { project: project({ public_keys: [garbage] }), env: {} }),
  );
  expect(invalid?.code).toBe('PGP_KEY_INVALID');
  expect(invalid?.message).toContain('pgp.public_keys[0]');
  expect(invalid?.message).not.toContain('canary-content-93b1');
});

it('a connection without pgp: PGP_NOT_CONFIGURED; the accessor reads each connection once', async () => {
  const noPgp = normalizeProject(
    { version: 1, connections: { plain: { region: 'us-east-1' } } },
    { file: 'ferry.yaml', directory: dir },
  );
  expect((await failure(resolvePgpKeys('plain', { project: noPgp, env: {} })))?.code).toBe(
    'PGP_NOT_CONFIGURED',
  );
  const access = createPgpKeyAccess({ project: project({ public_keys: ['keys/partner-rsa.asc'] }), env: {} });
  expect(access('vendor')).toBe(access('vendor'));
});
