/**
 * One downloaded object → its plaintext in a new local file, streamed with bounded memory. openpgp
 * releases plaintext before the integrity check at the end of the message has run (that is what
 * `allowUnauthenticatedStream` allows, and what keeps memory flat), so the output is only a
 * candidate until this function returns: on any error it is deleted, and callers use the file only
 * after a successful return. The decrypted size is capped (compression bombs); with
 * `requireSignature` openpgp's `expectSigned` makes a missing, unknown or bad signature an error
 * (without it openpgp returns the data even when a signature is bad).
 */
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { loadOpenpgp } from './load-openpgp.js';
import type { Message } from 'openpgp';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { formatKeyId, type PgpKeyring } from './read-keys.js';
import { classifyPgpError, pgpFailureMessage, wrapPgpError } from './wrap-pgp-error.js';

export interface DecryptFileOptions {
  inputPath: string;
  /** Created by this call (must not exist); removed again when decryption fails. */
  outputPath: string;
  keyring: PgpKeyring;
  requireSignature: boolean;
  maxBytes: number;
  /** The object, for messages: s3://bucket/key. */
  what: string;
  context: FerryErrorContext;
}

export interface DecryptedFile {
  bytes: number;
  /** Fingerprint of the private key whose (sub)key the message was encrypted to. */
  decryptedWith: string;
  /** Fingerprints of the connection's public keys whose signatures verified. */
  signedBy: string[];
}

const WILDCARD_KEY_ID = '0000000000000000';

export async function decryptFile(options: DecryptFileOptions): Promise<DecryptedFile> {
  const { keyring, what } = options;
  const ourKeys = keyring.privateKeys.map((key) => ({
    fingerprint: formatKeyId(key.getFingerprint()),
    ids: key.getKeys().map((k) => k.getKeyID().toHex()),
  }));
  const ours = `the connection's key${ourKeys.length === 1 ? '' : 's'}: ${ourKeys.map((k) => k.fingerprint).join(', ') || 'none'}`;

  const { message, input } = await readEncryptedMessage(options, ours);
  const recipients = message.getEncryptionKeyIDs().map((id) => id.toHex());
  const match = ourKeys.find((k) => recipients.some((r) => r === WILDCARD_KEY_ID || k.ids.includes(r)));
  const encryptedTo = `encrypted to key id${recipients.length === 1 ? '' : 's'} ${recipients.map(formatKeyId).join(', ') || 'none (password-encrypted)'}; ${ours}`;
  if (!match) {
    input.destroy();
    const { message: wrongKey, hint } = pgpFailureMessage('PGP_WRONG_KEY');
    throw new FerryError('PGP_WRONG_KEY', `${what} ${wrongKey} (${encryptedTo}).`, {
      context: options.context,
      hint,
    });
  }

  const signers: string[] = [];
  const openpgp = await loadOpenpgp();
  const trusted = `signatures are checked against ${keyring.publicKeys.map((k) => formatKeyId(k.getFingerprint())).join(', ') || 'no keys'}`;
  try {
    const { data, signatures } = await openpgp.decrypt({
      message,
      decryptionKeys: keyring.privateKeys,
      verificationKeys: keyring.publicKeys,
      expectSigned: options.requireSignature,
      format: 'binary',
      config: { allowUnauthenticatedStream: true, maxDecompressedMessageSize: options.maxBytes },
    });
    // Each verification settles on its own; a rejection nobody awaits would crash the process.
    const checks = signatures.map((s) => {
      signers.push(formatKeyId(s.keyID.toHex()));
      s.signature.catch(() => undefined);
      return s.verified.then(
        () => s.keyID.toHex(),
        () => undefined,
      );
    });
    const bytes = await writeCapped(data as NodeWebStream<Uint8Array>, options.outputPath, options.maxBytes);
    const verified = (await Promise.all(checks)).filter((id): id is string => id !== undefined);
    const signedBy = keyring.publicKeys
      .filter((key) => key.getKeys().some((k) => verified.includes(k.getKeyID().toHex())))
      .map((key) => formatKeyId(key.getFingerprint()));
    return { bytes, decryptedWith: match.fingerprint, signedBy };
  } catch (error) {
    await rm(options.outputPath, { force: true });
    const code = classifyPgpError(error);
    const keyIds = code.startsWith('PGP_SIGN')
      ? `${signers.length ? `signed by key id ${signers.join(', ')}` : 'no signature'}; ${trusted}`
      : `decrypting with ${match.fingerprint}`;
    throw wrapPgpError(error, { what, keyIds, context: options.context });
  } finally {
    // openpgp may stop reading early (an unsigned message when one is required): release the file.
    input.destroy();
  }
}

/** Streams plaintext into a new file, failing once it grows past `maxBytes`; returns its size. */
async function writeCapped(data: NodeWebStream<Uint8Array>, path: string, maxBytes: number): Promise<number> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      // Worded like openpgp's own cap, so both classify as PGP_TOO_LARGE.
      if (bytes > maxBytes) done(new Error('Maximum decompressed message size exceeded'));
      else done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(data), limit, createWriteStream(path, { flags: 'wx' }));
  return bytes;
}

/** Armored or binary, told by the first bytes; a file that is no encrypted message is refused here. */
async function readEncryptedMessage(
  options: DecryptFileOptions,
  ours: string,
): Promise<{ message: Message<never>; input: ReadStream }> {
  const { what } = options;
  const { head, tail, size } = await readEnds(options.inputPath);
  const text = head
    .toString('latin1')
    .replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '')
    .trimStart();
  const notEncrypted = (detail: string) =>
    new FerryError('PGP_NOT_ENCRYPTED', `${what} ${detail}, but source.decrypt is set (${ours}).`, {
      context: options.context,
      hint: 'Ask the sender to encrypt it to your key, or remove source.decrypt if their files are not encrypted.',
    });
  let armored: boolean;
  if (size === 0)
    throw new FerryError('PGP_TRUNCATED', `${what} is empty (${ours}).`, { context: options.context });
  if (text.startsWith('-----BEGIN PGP MESSAGE-----')) {
    armored = true;
    if (!tail.toString('latin1').includes('-----END PGP MESSAGE-----')) {
      const { message, hint } = pgpFailureMessage('PGP_TRUNCATED');
      throw new FerryError('PGP_TRUNCATED', `${what} ${message}: the armor has no END line (${ours}).`, {
        context: options.context,
        hint,
      });
    }
  } else if (text.startsWith('-----BEGIN PGP ')) {
    throw notEncrypted('is an armored OpenPGP block that is not an encrypted message');
  } else {
    armored = false;
    const tag = packetTag(head[0]);
    if (tag !== 1 && tag !== 3) {
      throw notEncrypted(
        tag === undefined
          ? 'is not an OpenPGP message'
          : 'is an OpenPGP message that is not encrypted (signed or compressed only)',
      );
    }
  }
  const openpgp = await loadOpenpgp();
  const input = createReadStream(options.inputPath, armored ? { encoding: 'utf8' } : {});
  try {
    const stream = Readable.toWeb(input);
    // openpgp's types do not know Node's web streams; they are the same WHATWG streams.
    const message = armored
      ? await openpgp.readMessage<never>({ armoredMessage: stream as never })
      : await openpgp.readMessage<never>({ binaryMessage: stream as never });
    return { message, input };
  } catch (error) {
    input.destroy();
    throw wrapPgpError(error, { what, keyIds: ours, context: options.context });
  }
}

/** The OpenPGP packet tag of a first byte (old or new format), or undefined for a non-packet byte. */
function packetTag(byte: number | undefined): number | undefined {
  if (byte === undefined || (byte & 0x80) === 0) return undefined;
  return byte & 0x40 ? byte & 0x3f : (byte & 0x3c) >> 2;
}

async function readEnds(path: string): Promise<{ head: Buffer; tail: Buffer; size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, 1024));
    await handle.read(tail, 0, tail.length, size - tail.length);
    return { head, tail, size };
  } finally {
    await handle.close();
  }
}
