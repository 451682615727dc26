/**
 * Every way a PGP input can be wrong, as messages GnuPG really writes (and one openpgp has to craft:
 * a valid encryption around a signature that does not match): each is a coded FerryError naming
 * the object and the key ids, and no partial plaintext is left behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../../engine/io/pgp/decrypt-file.js';
import { readPgpKeys, type PgpKeyring } from '../../../engine/io/pgp/read-keys.js';
import { selectRecipients } from '../../../engine/io/pgp/select-recipients.js';
import { isFerryError } from '../../../engine/errors/ferry-error.js';
import {
  FINGERPRINTS,
  FIXTURE_PASSPHRASE,
  email,
  readFixture,
  startGnuPg,
  type GnuPg,
} from '../../harness/gnupg.js';

const PLAINTEXT = Buffer.from('id,name\n1,Ada\n2,Bob\n');
const WHAT = 's3://vendor-drops/in/accounts.csv.pgp';

let gpg: GnuPg;
let dir: string;
let keyring: PgpKeyring;
let n = 0;
const file = (name: string) => join(dir, `${n++}-${name}`);

async function gpgEncrypt(args: readonly string[], plaintext: Buffer = PLAINTEXT): Promise<string> {
  const input = file('plain.csv');
  await writeFile(input, plaintext);
  const output = file('message');
  const result = await gpg.run(['--output', output, ...args, input]);
  expect(result.code, result.stderr).toBe(0);
  return output;
}

async function failure(inputPath: string, options: { requireSignature?: boolean; maxBytes?: number } = {}) {
  const outputPath = file('decrypted');
  const error = await decryptFile({
    inputPath,
    outputPath,
    keyring,
    requireSignature: options.requireSignature ?? false,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    what: WHAT,
    context: { bucket: 'vendor-drops', key: 'in/accounts.csv.pgp' },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFerryError(error)) throw new Error(`expected a FerryError, got ${String(error)}`);
  // Nothing half-decrypted stays behind for a later step to pick up.
  expect(existsSync(outputPath)).toBe(false);
  expect(error.message).toContain(WHAT);
  expect(error.context.key).toBe('in/accounts.csv.pgp');
  return error;
}

/** Where the OpenPGP packet starting at `offset` ends (old-format headers, as gpg writes them). */
function packetEnd(bytes: Buffer, offset: number): number {
  const ctb = bytes[offset]!;
  if ((ctb & 0x40) !== 0) throw new Error('new-format packet header: not needed by this test');
  const lengthType = ctb & 0x03;
  if (lengthType === 0) return offset + 2 + bytes[offset + 1]!;
  if (lengthType === 1) return offset + 3 + bytes.readUInt16BE(offset + 1);
  if (lengthType === 2) return offset + 5 + bytes.readUInt32BE(offset + 1);
  throw new Error('indeterminate packet length: not needed by this test');
}

const toFerry = ['--recipient', email('ferry-ed25519')];
const signedByPartner = ['--local-user', email('partner-ed25519'), '--sign'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgp-failures-'));
  gpg = await startGnuPg({ secret: ['ferry-ed25519', 'partner-ed25519', 'ferry-rsa'] });
  keyring = await readPgpKeys({
    connection: 'vendor',
    privateKey: { label: 'pgp.private_key', data: await readFixture('ferry-ed25519', 'sec') },
    passphrase: FIXTURE_PASSPHRASE,
    publicKeys: [{ label: 'pgp.public_keys[0]', data: await readFixture('partner-ed25519', 'pub') }],
  });
});

afterAll(async () => {
  await gpg.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('decrypting', () => {
  it('a message for another key: PGP_WRONG_KEY, naming its recipients and our key', async () => {
    const message = await gpgEncrypt(['--recipient', email('partner-ed25519'), '--encrypt']);
    const error = await failure(message);
    expect(error.code).toBe('PGP_WRONG_KEY');
    expect(error.message).toContain('C0460E6D70CCA3C6'); // the partner's encryption subkey id
    expect(error.message).toContain(FINGERPRINTS['ferry-ed25519']);
  });

  it('a flipped byte inside the encrypted data: PGP_TAMPERED', async () => {
    // In the middle of 10 kB of literal data: what CFB garbles stays inside it, so only the
    // integrity check (MDC) can notice.
    const message = await gpgEncrypt(
      [...toFerry, ...signedByPartner, '--compress-algo', 'none', '--encrypt'],
      Buffer.alloc(10_000, 'x'),
    );
    const bytes = await readFile(message);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    await writeFile(message, bytes);
    expect((await failure(message)).code).toBe('PGP_TAMPERED');
  });

  it.each([
    ['binary', false],
    ['armored', true],
  ])('a %s message cut short: PGP_TRUNCATED', async (_name, armor) => {
    const message = await gpgEncrypt([...toFerry, ...(armor ? ['--armor'] : []), '--encrypt']);
    const bytes = await readFile(message);
    await writeFile(message, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    expect((await failure(message)).code).toBe('PGP_TRUNCATED');
  });

  it('a compression bomb: PGP_TOO_LARGE at max_bytes', async () => {
    // 8 MiB of zeros compress to a few kilobytes.
    const message = await gpgEncrypt([...toFerry, '--encrypt'], Buffer.alloc(8 * 1024 * 1024));
    expect((await readFile(message)).length).toBeLessThan(64 * 1024);
    const error = await failure(message, { maxBytes: 1024 * 1024 });
    expect(error.code).toBe('PGP_TOO_LARGE');
  });

  it('an uncompressed file over max_bytes: PGP_TOO_LARGE too', async () => {
    const message = await gpgEncrypt(
      [...toFerry, '--compress-algo', 'none', '--encrypt'],
      Buffer.alloc(200_000, 'a'),
    );
    expect((await failure(message, { maxBytes: 100_000 })).code).toBe('PGP_TOO_LARGE');
  });

  it('unsigned when a signature is required: PGP_SIGNATURE_MISSING', async () => {
    const message = await gpgEncrypt([...toFerry, '--encrypt']);
    const error = await failure(message, { requireSignature: true });
    expect(error.code).toBe('PGP_SIGNATURE_MISSING');
    expect(error.message).toContain(FINGERPRINTS['partner-ed25519']);
  });

  it('signed by a key that is not trusted: PGP_SIGNER_UNKNOWN, naming the signer', async () => {
    const message = await gpgEncrypt([...toFerry, '--local-user', email('ferry-rsa'), '--sign', '--encrypt']);
    const error = await failure(message, { requireSignature: true });
    expect(error.code).toBe('PGP_SIGNER_UNKNOWN');
    expect(error.message).toContain(FINGERPRINTS['ferry-rsa'].slice(-16)); // the signer's key id
  });

  it('a signature that does not match the content: PGP_SIGNATURE_INVALID', async () => {
    // gpg signs (no encryption, no compression): one-pass signature, literal data, signature. One
    // byte of the literal data is changed and the three packets are encrypted as they are, so the
    // integrity check passes and only the signature fails.
    const signed = await readFile(await gpgEncrypt([...signedByPartner, '--compress-algo', 'none']));
    const at = signed.indexOf(Buffer.from('1,Ada'));
    signed[at + 2] = 'E'.charCodeAt(0);
    const [onePass, literal] = (await openpgp.readMessage({ binaryMessage: new Uint8Array(signed) })).packets;
    const signatureAt = packetEnd(signed, packetEnd(signed, 0));
    const signature = await openpgp.readSignature({
      binarySignature: new Uint8Array(signed.subarray(signatureAt)),
    });
    const packets = new openpgp.PacketList<openpgp.AnyPacket>();
    packets.push(onePass!, literal!, signature.packets[0]!);
    const encrypted = await openpgp.encrypt({
      message: new openpgp.Message(packets),
      encryptionKeys: keyring.privateKeys[0]!.toPublic(),
      format: 'binary',
    });
    const path = file('bad-signature.pgp');
    await writeFile(path, encrypted);
    const error = await failure(path, { requireSignature: true });
    expect(error.code).toBe('PGP_SIGNATURE_INVALID');
    expect(error.message).toContain('1467560686B21D20'); // the signer's key id
  });

  it('without require_signature, signatures are not checked (an untrusted signer passes)', async () => {
    const message = await gpgEncrypt([...toFerry, '--local-user', email('ferry-rsa'), '--sign', '--encrypt']);
    const outputPath = file('ok');
    const result = await decryptFile({
      inputPath: message,
      outputPath,
      keyring,
      requireSignature: false,
      maxBytes: 1024 * 1024,
      what: WHAT,
      context: {},
    });
    expect(result.signedBy).toEqual([]);
    expect((await readFile(outputPath)).equals(PLAINTEXT)).toBe(true);
  });

  it.each([
    ['a plain CSV file', Buffer.from('id,name\n1,Ada\n')],
    ['a gzip file', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03])],
  ])('%s: PGP_NOT_ENCRYPTED', async (_name, body) => {
    const path = file('plain');
    await writeFile(path, body);
    expect((await failure(path)).code).toBe('PGP_NOT_ENCRYPTED');
  });

  it('a signed-only message: PGP_NOT_ENCRYPTED', async () => {
    const signed = await gpgEncrypt([...signedByPartner]);
    expect((await failure(signed)).code).toBe('PGP_NOT_ENCRYPTED');
  });
});

describe('reading keys', () => {
  const read = async (input: Parameters<typeof readPgpKeys>[0]) =>
    await readPgpKeys(input).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );

  it('a wrong passphrase: PGP_BAD_PASSPHRASE naming the key, never the passphrase', async () => {
    const error = await read({
      connection: 'vendor',
      privateKey: { label: 'pgp.private_key', data: await readFixture('ferry-rsa', 'sec') },
      passphrase: 'canary-not-the-passphrase-7f3a',
      publicKeys: [],
    });
    expect(error?.code).toBe('PGP_BAD_PASSPHRASE');
    expect(error?.message).toContain(FINGERPRINTS['ferry-rsa']);
    expect(JSON.stringify(error)).not.toContain('canary-not-the-passphrase-7f3a');
  });

  it('no passphrase for a protected key: PGP_BAD_PASSPHRASE', async () => {
    const error = await read({
      connection: 'vendor',
      privateKey: { label: 'pgp.private_key', data: await readFixture('ferry-ed25519', 'sec') },
      publicKeys: [],
    });
    expect(error?.code).toBe('PGP_BAD_PASSPHRASE');
  });

  it('RSA under 2048 bits: PGP_KEY_UNSUPPORTED', async () => {
    const error = await read({
      connection: 'vendor',
      publicKeys: [{ label: 'pgp.public_keys[0]', data: await readFixture('weak-rsa1024', 'pub') }],
    });
    expect(error?.code).toBe('PGP_KEY_UNSUPPORTED');
    expect(error?.message).toContain(FINGERPRINTS['weak-rsa1024']);
  });

  it('a private key among the public keys: PGP_KEY_INVALID', async () => {
    const error = await read({
      connection: 'vendor',
      publicKeys: [{ label: 'pgp.public_keys[0]', data: await readFixture('partner-rsa', 'sec') }],
    });
    expect(error?.code).toBe('PGP_KEY_INVALID');
  });

  it('a binary public key file (gpg --export) is read like an armored one', async () => {
    const path = file('partner.gpg');
    expect((await gpg.run(['--output', path, '--export', email('partner-ed25519')])).code).toBe(0);
    const binary = await readFile(path);
    expect(binary[0]! & 0x80).toBe(0x80);
    const ring = await readPgpKeys({
      connection: 'vendor',
      publicKeys: [{ label: 'pgp.public_keys[0]', data: new Uint8Array(binary) }],
    });
    expect(ring.publicKeys.map((k) => k.getFingerprint().toUpperCase())).toEqual([
      FINGERPRINTS['partner-ed25519'],
    ]);
  });

  it('a recipient that names no public key: PGP_RECIPIENT_UNKNOWN, listing the keys', async () => {
    const error = await selectRecipients(keyring, ['nobody@example.com'], { date: new Date() }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('PGP_RECIPIENT_UNKNOWN');
    expect(error?.message).toContain(FINGERPRINTS['partner-ed25519']);
  });
});
