/**
 * One local output file → an OpenPGP message (binary or armored) to the recipients, optionally
 * signed, streamed to a new file. Output files may already be gzip/zstd-compressed, so no OpenPGP
 * compression is added. SEIPDv1 (with MDC) is what every GnuPG in use can read.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { loadOpenpgp } from './load-openpgp.js';
import type { PrivateKey, PublicKey } from 'openpgp';
import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';

export interface EncryptFileOptions {
  inputPath: string;
  /** Created by this call (must not exist); removed again when encryption fails. */
  outputPath: string;
  recipients: readonly PublicKey[];
  signingKey?: PrivateKey;
  armor: boolean;
  /** The file name recorded inside the message (what `gpg --use-embedded-filename` restores). */
  filename: string;
  date: Date;
  context: FerryErrorContext;
}

export async function encryptFile(options: EncryptFileOptions): Promise<{ bytes: number }> {
  const openpgp = await loadOpenpgp();
  try {
    const input = Readable.toWeb(createReadStream(options.inputPath));
    const message = await openpgp.createMessage({
      // openpgp's types do not know Node's web streams; they are the same WHATWG streams.
      binary: input as never,
      filename: basename(options.filename),
      date: options.date,
      format: 'binary',
    });
    const common = {
      message,
      encryptionKeys: [...options.recipients],
      ...(options.signingKey ? { signingKeys: options.signingKey } : {}),
      date: options.date,
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
    };
    const encrypted: unknown = options.armor
      ? await openpgp.encrypt({ ...common, format: 'armored' })
      : await openpgp.encrypt({ ...common, format: 'binary' });
    await pipeline(
      Readable.fromWeb(encrypted as NodeWebStream<Uint8Array | string>),
      createWriteStream(options.outputPath, { flags: 'wx' }),
    );
    return { bytes: (await stat(options.outputPath)).size };
  } catch (error) {
    await rm(options.outputPath, { force: true });
    throw new FerryError('PGP_ENCRYPT_FAILED', `Encrypting ${options.filename} failed.`, {
      context: options.context,
      cause: error,
      hint: "Check the recipients' keys (gpg --list-packets KEYFILE); the cause is shown with --verbose.",
    });
  }
}
