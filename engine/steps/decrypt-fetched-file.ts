/**
 * fetch with `source.decrypt`: each downloaded object is decrypted into a new temp file, which is
 * what the load step reads; the ciphertext is deleted once that succeeded. Without `source.decrypt`,
 * an object that is plainly PGP-encrypted (by name and first bytes) is stopped here with a clear
 * error instead of surfacing later as a screen of CSV errors.
 */
import { open, rm } from 'node:fs/promises';
import { decryptFile } from '../io/pgp/decrypt-file.js';
import { labelKey } from '../io/pgp/read-keys.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import type { FetchStep } from '../plan/plan-model.js';
import { FerryError } from '../errors/ferry-error.js';
import type { StepContext } from './step-context.js';

/**
 * Decrypts the fetched file at `path` (on disk) into a new one, or, without `source.decrypt`, checks
 * it is not plainly encrypted; `bytes` is the file's content when the fetch left it in memory only.
 */
export type DecryptFetched = (key: string, path: string, bytes?: Buffer) => Promise<string>;

const PGP_EXTENSION = /\.(pgp|gpg|asc)$/i;

/** The decryption for this fetch step (recording its keys in the step, for the plan), or a guard. */
export async function prepareDecryption(context: StepContext, step: FetchStep): Promise<DecryptFetched> {
  const source = context.pipeline.source;
  const decrypt = source.kind === 's3' ? source.decrypt : undefined;
  if (!decrypt) return refuseEncrypted(context, step);
  const keyring = await context.pgp(step.connection);
  step.decrypt = {
    keys: keyring.privateKeys.map(labelKey),
    requireSignature: decrypt.requireSignature,
    verifyWith: decrypt.requireSignature ? keyring.publicKeys.map(labelKey) : [],
  };
  return async (key, path) => {
    const outputPath = `${path}.plain`;
    await decryptFile({
      inputPath: path,
      outputPath,
      keyring,
      requireSignature: decrypt.requireSignature,
      // Without its own cap, a decrypted file is held to the project's decompressed-size limit.
      maxBytes: decrypt.maxBytes ?? context.project.limits.maxDecompressedBytes,
      what: formatS3Uri(step.bucket, key),
      context: {
        pipeline: context.pipeline.name,
        step: 'fetch',
        connection: step.connection,
        bucket: step.bucket,
        key,
      },
    });
    await rm(path, { force: true });
    return outputPath;
  };
}

function refuseEncrypted(context: StepContext, step: FetchStep): DecryptFetched {
  return async (key, path, bytes) => {
    if (PGP_EXTENSION.test(key) && looksEncrypted(bytes ?? (await readHead(path)))) {
      throw new FerryError(
        'PGP_NOT_CONFIGURED',
        `${formatS3Uri(step.bucket, key)} is PGP-encrypted, but the pipeline has no source.decrypt.`,
        {
          context: {
            pipeline: context.pipeline.name,
            step: 'fetch',
            bucket: step.bucket,
            key,
            config: '/source',
          },
          hint: "Add decrypt: {kind: pgp} to the source, and the connection's pgp.private_key in ferry.yaml.",
        },
      );
    }
    return path;
  };
}

/** The file's first 32 bytes (fewer when it is shorter). */
async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Whether a file that starts with `head` is an ASCII-armoured or binary PGP message. */
function looksEncrypted(head: Buffer): boolean {
  const first = head[0] ?? 0;
  const tag = first & 0x40 ? first & 0x3f : (first & 0x3c) >> 2;
  return (
    head.subarray(0, 32).toString('latin1').startsWith('-----BEGIN PGP MESSAGE-----') ||
    ((first & 0x80) !== 0 && (tag === 1 || tag === 3))
  );
}
