/**
 * write-files with `sink.encrypt`: every output file, once written, is PGP-encrypted (and signed
 * when asked) into a new temp file that replaces it for the upload; the plaintext is deleted. The
 * object keys already carry the .pgp/.asc extension (render-sink-keys.ts). The recipients and the
 * signing key are recorded in the step, so `plan` shows them by fingerprint.
 */
import { rm } from 'node:fs/promises';
import { encryptFile } from '../io/pgp/encrypt-file.js';
import { labelKey } from '../io/pgp/read-keys.js';
import { selectRecipients, selectSigningKey } from '../io/pgp/select-recipients.js';
import type { WriteFilesStep } from '../plan/plan-model.js';
import type { LocalOutput, StepContext } from './step-context.js';

export const PGP_CONTENT_TYPE = 'application/pgp-encrypted';

/** Resolves the keys (recording them in the step) before any file is written, so a bad key fails fast. */
export async function prepareEncryption(
  context: StepContext,
  step: WriteFilesStep,
): Promise<((outputs: LocalOutput[]) => Promise<void>) | undefined> {
  const sink = context.pipeline.sink;
  const encrypt = sink.kind === 's3' ? sink.encrypt : undefined;
  if (sink.kind !== 's3' || !encrypt) return undefined;
  const keyring = await context.pgp(sink.connection);
  const date = new Date();
  const recipients = await selectRecipients(keyring, encrypt.recipients, { date });
  const signingKey = encrypt.sign ? await selectSigningKey(keyring, { date }) : undefined;
  step.encrypt = {
    recipients: recipients.map(labelKey),
    ...(signingKey ? { signedBy: labelKey(signingKey) } : {}),
    armor: encrypt.armor,
  };
  return async (outputs) => {
    for (const output of outputs) {
      const encryptedPath = `${output.path}${encrypt.armor ? '.asc' : '.pgp'}`;
      const { bytes } = await encryptFile({
        inputPath: output.path,
        outputPath: encryptedPath,
        recipients,
        ...(signingKey ? { signingKey } : {}),
        armor: encrypt.armor,
        filename: output.key.replace(/\.(pgp|gpg|asc)$/i, ''),
        date,
        context: {
          pipeline: context.pipeline.name,
          step: 'write-files',
          connection: sink.connection,
          bucket: output.bucket,
          key: output.key,
        },
      });
      await rm(output.path, { force: true });
      output.path = encryptedPath;
      output.bytes = bytes;
      output.contentType = PGP_CONTENT_TYPE;
    }
  };
}
