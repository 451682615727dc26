/**
 * ferry's PGP against GnuPG, both ways, with both key types (Ed25519/X25519 and RSA-3072): ferry
 * decrypts what gpg writes (binary, armored, compressed with zip/zlib/bzip2 or not, signed,
 * multi-recipient), and gpg decrypts and verifies what ferry writes. Needs `gpg` (Debian `gnupg`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../../engine/io/pgp/decrypt-file.js';
import { encryptFile } from '../../../engine/io/pgp/encrypt-file.js';
import { readPgpKeys, type PgpKeyring } from '../../../engine/io/pgp/read-keys.js';
import { selectRecipients, selectSigningKey } from '../../../engine/io/pgp/select-recipients.js';
import {
  FINGERPRINTS,
  FIXTURE_PASSPHRASE,
  email,
  readFixture,
  startGnuPg,
  statusLines,
  type GnuPg,
} from '../../harness/gnupg.js';

type Kind = 'ed25519' | 'rsa';
const KINDS: Kind[] = ['ed25519', 'rsa'];
const other = (kind: Kind): Kind => (kind === 'rsa' ? 'ed25519' : 'rsa');

// Several lines with repeats, so gpg's compression has something to do.
const PLAINTEXT = Buffer.from(
  'id,name,note\n' +
    Array.from({ length: 200 }, (_, i) => `${i},name ${i},"quoted, with comma"\n`).join('') +
    'last,ünïcødé,\r\n',
);

let gpg: GnuPg;
let dir: string;
let n = 0;
const file = (name: string) => join(dir, `${n++}-${name}`);

const keyrings = new Map<Kind, Promise<PgpKeyring>>();

/** ferry's keyring for `kind`: its own private key, and both partners' public keys (read once). */
function ferryKeyring(kind: Kind): Promise<PgpKeyring> {
  let keyring = keyrings.get(kind);
  if (!keyring) {
    keyring = readFerryKeyring(kind);
    keyrings.set(kind, keyring);
  }
  return keyring;
}

async function readFerryKeyring(kind: Kind): Promise<PgpKeyring> {
  return await readPgpKeys({
    connection: 'test',
    privateKey: { label: 'pgp.private_key', data: await readFixture(`ferry-${kind}`, 'sec') },
    passphrase: FIXTURE_PASSPHRASE,
    publicKeys: [
      { label: 'pgp.public_keys[0]', data: await readFixture('partner-ed25519', 'pub') },
      { label: 'pgp.public_keys[1]', data: await readFixture('partner-rsa', 'pub') },
    ],
  });
}

async function gpgEncrypt(args: readonly string[]): Promise<string> {
  const input = file('plain.csv');
  await writeFile(input, PLAINTEXT);
  const output = file('message');
  const result = await gpg.run(['--output', output, ...args, input]);
  expect(result.code, result.stderr).toBe(0);
  return output;
}

async function ferryDecrypt(kind: Kind, inputPath: string, requireSignature = false) {
  const outputPath = file('decrypted');
  const result = await decryptFile({
    inputPath,
    outputPath,
    keyring: await ferryKeyring(kind),
    requireSignature,
    maxBytes: 10 * 1024 * 1024,
    what: 's3://bucket/in/message.pgp',
    context: {},
  });
  return { ...result, plaintext: await readFile(outputPath) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgp-interop-'));
  gpg = await startGnuPg({
    secret: ['ferry-ed25519', 'ferry-rsa', 'partner-ed25519', 'partner-rsa'],
  });
});

afterAll(async () => {
  await gpg.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.each(KINDS)('ferry decrypts what gpg writes (%s)', (kind) => {
  const to = ['--recipient', email(`ferry-${kind}`)];
  const signedBy = ['--local-user', email(`partner-${kind}`), '--sign'];

  it.each([
    ['binary, compressed (gpg default), signed', [...to, ...signedBy, '--encrypt']],
    ['armored, compressed, signed', [...to, ...signedBy, '--armor', '--encrypt']],
    ['binary, uncompressed, signed', [...to, ...signedBy, '--compress-algo', 'none', '--encrypt']],
    ['binary, zlib, signed', [...to, ...signedBy, '--compress-algo', 'zlib', '--encrypt']],
    ['binary, bzip2, signed', [...to, ...signedBy, '--compress-algo', 'bzip2', '--encrypt']],
    [
      'multi-recipient (the partner first), signed',
      ['--recipient', email(`partner-${other(kind)}`), ...to, ...signedBy, '--encrypt'],
    ],
  ])('%s, with the signature required', async (_name, args) => {
    const message = await gpgEncrypt(args);
    const result = await ferryDecrypt(kind, message, true);
    expect(result.plaintext.equals(PLAINTEXT)).toBe(true);
    expect(result.decryptedWith).toBe(FINGERPRINTS[`ferry-${kind}`]);
    expect(result.signedBy).toEqual([FINGERPRINTS[`partner-${kind}`]]);
    expect(result.bytes).toBe(PLAINTEXT.length);
  });

  it('armored and unsigned, when no signature is required', async () => {
    const message = await gpgEncrypt([...to, '--armor', '--encrypt']);
    const result = await ferryDecrypt(kind, message);
    expect(result.plaintext.equals(PLAINTEXT)).toBe(true);
    expect(result.signedBy).toEqual([]);
  });
});

describe.each(KINDS)('gpg decrypts and verifies what ferry writes (%s)', (kind) => {
  it.each([
    ['binary', false],
    ['armored', true],
  ])('%s, signed by ferry, to one partner and to both', async (_name, armor) => {
    const keyring = await ferryKeyring(kind);
    const date = new Date();
    for (const recipients of [
      [email(`partner-${kind}`)],
      [FINGERPRINTS['partner-ed25519'], 'partner-rsa@example.com'],
    ]) {
      const input = file('export.csv');
      await writeFile(input, PLAINTEXT);
      const output = file(armor ? 'export.csv.asc' : 'export.csv.pgp');
      const { bytes } = await encryptFile({
        inputPath: input,
        outputPath: output,
        recipients: await selectRecipients(keyring, recipients, { date }),
        signingKey: await selectSigningKey(keyring, { date }),
        armor,
        filename: 'export.csv',
        date,
        context: {},
      });
      const written = await readFile(output);
      expect(bytes).toBe(written.length);
      expect(written.subarray(0, 27).toString('latin1') === '-----BEGIN PGP MESSAGE-----').toBe(armor);

      const decrypted = file('by-gpg.csv');
      const result = await gpg.run(['--status-fd', '1', '--output', decrypted, '--decrypt', output]);
      expect(result.code, result.stderr).toBe(0);
      expect((await readFile(decrypted)).equals(PLAINTEXT)).toBe(true);
      const status = statusLines(result);
      expect(status).toContain('DECRYPTION_OKAY');
      expect(
        status.some(
          (s) => s.startsWith(`VALIDSIG `) && s.split(' ').at(-1) === FINGERPRINTS[`ferry-${kind}`],
        ),
      ).toBe(true);
      expect(status.some((s) => s.startsWith('GOODSIG '))).toBe(true);
      // Encrypted to exactly the recipients' encryption subkeys.
      expect(status.filter((s) => s.startsWith('ENC_TO ')).length).toBe(recipients.length);
      expect(status.find((s) => s.startsWith('PLAINTEXT '))).toMatch(/ export\.csv$/);
    }
  });
});
