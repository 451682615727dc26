/**
 * `sink.encrypt.recipients` → the public keys to encrypt to. A recipient is a fingerprint, a key id
 * (of the key or one of its subkeys) or an email address of one of the connection's public keys, and
 * must name exactly one of them; each chosen key must have a usable (unexpired, unrevoked)
 * encryption key. Nothing is guessed: an unknown or ambiguous recipient stops the run.
 */
import type { PrivateKey, PublicKey } from 'openpgp';
import { FerryError } from '../../errors/ferry-error.js';
import { describeKey, formatKeyId, type PgpKeyring } from './read-keys.js';

export async function selectRecipients(
  keyring: PgpKeyring,
  recipients: readonly string[],
  options: { date: Date },
): Promise<PublicKey[]> {
  const { connection } = keyring;
  const available = keyring.publicKeys.map(describeKey).join('; ') || 'none';
  const selected: PublicKey[] = [];
  for (const recipient of recipients) {
    const matches = keyring.publicKeys.filter((key) => keyMatches(key, recipient));
    if (matches.length !== 1) {
      throw new FerryError(
        'PGP_RECIPIENT_UNKNOWN',
        `Connection "${connection}": sink.encrypt.recipients names "${recipient}", which matches ${matches.length === 0 ? 'none' : matches.length} of the connection's pgp.public_keys (${available}).`,
        {
          context: { connection, config: '/sink/encrypt/recipients' },
          hint:
            matches.length === 0
              ? "Add the recipient's public key to pgp.public_keys, or fix the name (fingerprint, key id or email)."
              : 'Name the recipient by fingerprint.',
        },
      );
    }
    const [key] = matches as [PublicKey];
    try {
      await key.getEncryptionKey(undefined, options.date);
    } catch (error) {
      throw unusable(
        connection,
        key,
        'has no usable encryption key (expired, revoked or encryption not allowed)',
        error,
      );
    }
    if (!selected.includes(key)) selected.push(key);
  }
  return selected;
}

/** The private key that signs exports: the first of the connection's, with a usable signing key. */
export async function selectSigningKey(keyring: PgpKeyring, options: { date: Date }): Promise<PrivateKey> {
  const [key] = keyring.privateKeys;
  if (!key) {
    throw new FerryError(
      'PGP_NOT_CONFIGURED',
      `Connection "${keyring.connection}" has no pgp.private_key to sign with.`,
      { context: { connection: keyring.connection }, hint: 'Set pgp.private_key, or sign: false.' },
    );
  }
  try {
    await key.getSigningKey(undefined, options.date);
  } catch (error) {
    throw unusable(
      keyring.connection,
      key,
      'has no usable signing key (expired, revoked or signing not allowed)',
      error,
    );
  }
  return key;
}

function keyMatches(key: PublicKey, recipient: string): boolean {
  const hex = recipient.replace(/\s+/g, '').replace(/^0x/i, '').toLowerCase();
  if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(hex)) {
    return key.getKeys().some((k) => k.getFingerprint().toLowerCase() === hex);
  }
  if (/^[0-9a-f]{16}$/.test(hex)) return key.getKeys().some((k) => k.getKeyID().toHex() === hex);
  const email = recipient.trim().toLowerCase();
  return key.getUserIDs().some((id) => {
    const lower = id.toLowerCase();
    return lower === email || lower.includes(`<${email}>`);
  });
}

function unusable(connection: string, key: PublicKey, what: string, cause: unknown): FerryError {
  const fingerprint = formatKeyId(key.getFingerprint());
  return new FerryError('PGP_KEY_UNUSABLE', `Connection "${connection}": key ${describeKey(key)} ${what}.`, {
    context: { connection, fingerprint },
    cause,
    hint: 'Ask the key owner for a current key (gpg --armor --export KEYID) and replace the file.',
  });
}
