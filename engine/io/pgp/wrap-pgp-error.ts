/**
 * openpgp's failures → ferry's codes. openpgp throws plain Errors, so the boundary reads their
 * messages; the GnuPG interop tests pin every case (wrong key, tampered, truncated, too large,
 * unsigned, unknown signer, bad signature), so a wording change in openpgp fails a test, not a user.
 */
import { FerryError, isFerryError, type FerryErrorContext } from '../../errors/ferry-error.js';

export type PgpFailureCode =
  | 'PGP_TAMPERED'
  | 'PGP_TRUNCATED'
  | 'PGP_TOO_LARGE'
  | 'PGP_SIGNATURE_MISSING'
  | 'PGP_SIGNER_UNKNOWN'
  | 'PGP_SIGNATURE_INVALID'
  | 'PGP_WRONG_KEY'
  | 'PGP_MALFORMED';

const RULES: ReadonlyArray<{ code: PgpFailureCode; pattern: RegExp }> = [
  { code: 'PGP_TOO_LARGE', pattern: /maximum decompressed message size exceeded/i },
  { code: 'PGP_SIGNATURE_MISSING', pattern: /message is not signed/i },
  { code: 'PGP_SIGNER_UNKNOWN', pattern: /could not find signing key with key id/i },
  {
    code: 'PGP_TAMPERED',
    pattern: /modification detected|authentication tag mismatch|integrity|checksum mismatch/i,
  },
  { code: 'PGP_TRUNCATED', pattern: /unexpected end|premature end|end of (stream|file|packet)/i },
  { code: 'PGP_WRONG_KEY', pattern: /no decryption key packets found/i },
  // The session key did not decrypt with a key whose id the message names: the PKESK was altered.
  { code: 'PGP_TAMPERED', pattern: /session key decryption failed/i },
  // A digest mismatch, a signature from the future or past its expiry, a signer key not valid for signing.
  { code: 'PGP_SIGNATURE_INVALID', pattern: /signed digest did not match|signature|signing key/i },
];

export function classifyPgpError(error: unknown): PgpFailureCode {
  const message = error instanceof Error ? error.message : String(error);
  return RULES.find((rule) => rule.pattern.test(message))?.code ?? 'PGP_MALFORMED';
}

const WHAT: Record<PgpFailureCode, { message: string; hint: string }> = {
  PGP_TAMPERED: {
    message: 'failed its integrity check: the encrypted data was modified',
    hint: 'Do not use this file; ask the sender to send it again.',
  },
  PGP_TRUNCATED: {
    message: 'ends before the OpenPGP message does (truncated)',
    hint: 'The upload was probably cut; ask the sender to upload the file again.',
  },
  PGP_TOO_LARGE: {
    message: 'decrypts (decompresses) to more than source.decrypt.max_bytes',
    hint: 'A compression bomb, or a file larger than expected: raise source.decrypt.max_bytes if it is genuine.',
  },
  PGP_SIGNATURE_MISSING: {
    message: 'is not signed, but source.decrypt.require_signature is set',
    hint: "Ask the sender to sign files (gpg --sign --encrypt), or add their key to the connection's pgp.public_keys.",
  },
  PGP_SIGNER_UNKNOWN: {
    message: "is signed by a key that is not among the connection's pgp.public_keys",
    hint: "Add the sender's public key to pgp.public_keys if you trust it.",
  },
  PGP_SIGNATURE_INVALID: {
    message: 'has a signature that does not match its content',
    hint: 'The file was changed after it was signed, or signed with another key; do not use it.',
  },
  PGP_WRONG_KEY: {
    message: "is not encrypted to the connection's private key",
    hint: "Ask the sender to encrypt to your public key, or put the matching key in the connection's pgp.private_key.",
  },
  PGP_MALFORMED: {
    message: 'is not a valid OpenPGP message',
    hint: 'Check that the file is PGP-encrypted (gpg --list-packets FILE); a plain file needs no source.decrypt.',
  },
};

/** A failure decrypting `what` (an s3:// URI), with the key ids involved (never key material). */
export function wrapPgpError(
  error: unknown,
  input: { what: string; keyIds: string; context: FerryErrorContext },
): FerryError {
  if (isFerryError(error)) return error;
  const code = classifyPgpError(error);
  return new FerryError(code, `${input.what} ${WHAT[code].message} (${input.keyIds}).`, {
    context: input.context,
    cause: error,
    hint: WHAT[code].hint,
  });
}

export function pgpFailureMessage(code: PgpFailureCode): { message: string; hint: string } {
  return WHAT[code];
}
