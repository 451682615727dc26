/**
 * A connection's PGP keys, parsed and checked once per run: private keys unlocked with the
 * passphrase, public keys read from their files, every key and subkey held to ferry's algorithm
 * policy (RSA of 2048 bits or more, Ed25519/X25519 and the other elliptic curves; no DSA or
 * ElGamal). Keys are named by fingerprint in every message; key material never leaves this module's
 * return value.
 */
import { loadOpenpgp } from './load-openpgp.js';
import type { PrivateKey, PublicKey, Subkey } from 'openpgp';
import { FerryError } from '../../errors/ferry-error.js';

export interface PgpKeyring {
  connection: string;
  /** Unlocked; the first is the one that signs. */
  privateKeys: PrivateKey[];
  publicKeys: PublicKey[];
}

/** A connection's keys by connection name; resolved lazily, once per run. */
export type PgpKeyAccess = (connection: string) => Promise<PgpKeyring>;

/** How a plan names a key: never the key itself. */
export interface PgpKeyLabel {
  fingerprint: string;
  userId?: string;
  algorithm: string;
}

export interface PgpKeyInput {
  /** Where the key came from, for messages: "pgp.public_keys[0] (keys/partner.asc)". */
  label: string;
  data: string | Uint8Array;
}

const MIN_RSA_BITS = 2048;

export async function readPgpKeys(input: {
  connection: string;
  privateKey?: PgpKeyInput;
  passphrase?: string;
  publicKeys: readonly PgpKeyInput[];
}): Promise<PgpKeyring> {
  const { connection } = input;
  const privateKeys: PrivateKey[] = [];
  if (input.privateKey) {
    for (const key of await parseKeys(connection, input.privateKey, 'private')) {
      privateKeys.push(await unlock(connection, key as PrivateKey, input.passphrase));
    }
  }
  const publicKeys: PublicKey[] = [];
  for (const item of input.publicKeys) {
    for (const key of await parseKeys(connection, item, 'public')) publicKeys.push(key);
  }
  return { connection, privateKeys, publicKeys };
}

/** Upper-case hex, as gpg prints it. */
export function formatKeyId(hex: string): string {
  return hex.toUpperCase();
}

export function labelKey(key: PublicKey): PgpKeyLabel {
  const userId = key.getUserIDs()[0];
  return {
    fingerprint: formatKeyId(key.getFingerprint()),
    ...(userId !== undefined ? { userId } : {}),
    algorithm: key
      .getKeys()
      .map((k) => algorithmName(k))
      .join('/'),
  };
}

/** "F4F9…1E74 <ferry@example.com>": the fingerprint and the first user id. */
export function describeKey(key: PublicKey): string {
  const label = labelKey(key);
  return label.userId !== undefined ? `${label.fingerprint} (${label.userId})` : label.fingerprint;
}

function algorithmName(key: PublicKey | Subkey): string {
  const info = key.getAlgorithmInfo();
  switch (info.algorithm) {
    case 'rsaEncryptSign':
    case 'rsaEncrypt':
    case 'rsaSign':
      return `rsa${info.bits ?? ''}`;
    case 'eddsaLegacy':
      return info.curve === 'ed25519Legacy' ? 'ed25519' : `eddsa-${String(info.curve)}`;
    case 'ecdh':
      return info.curve === 'curve25519Legacy' ? 'cv25519' : `ecdh-${String(info.curve)}`;
    case 'ecdsa':
      return `ecdsa-${String(info.curve)}`;
    case 'ed25519':
    case 'ed448':
    case 'x25519':
    case 'x448':
    case 'dsa':
    case 'elgamal':
    case 'aedh':
    case 'aedsa':
    case 'pqc_mldsa_ed25519':
    case 'pqc_mlkem_x25519':
      return info.algorithm;
  }
}

async function parseKeys(
  connection: string,
  input: PgpKeyInput,
  kind: 'private' | 'public',
): Promise<PublicKey[]> {
  const wanted = kind === 'private' ? 'PRIVATE' : 'PUBLIC';
  const text = typeof input.data === 'string' ? input.data : undefined;
  const armored =
    text ?? (isArmored(input.data as Uint8Array) ? Buffer.from(input.data).toString('utf8') : undefined);
  const other = kind === 'private' ? 'PUBLIC' : 'PRIVATE';
  if (armored?.includes(`-----BEGIN PGP ${other} KEY BLOCK-----`)) {
    throw invalidKey(
      connection,
      input.label,
      `holds a ${other.toLowerCase()} key where a ${kind} key belongs`,
      kind === 'public'
        ? 'Give the public key only (gpg --armor --export KEYID); a private key must never sit among public keys.'
        : 'Give your private key (gpg --armor --export-secret-keys KEYID).',
    );
  }
  let keys: PublicKey[];
  const openpgp = await loadOpenpgp();
  try {
    if (armored !== undefined) {
      const blocks = splitArmorBlocks(armored, `PGP ${wanted} KEY BLOCK`);
      if (blocks.length === 0) throw new Error('no armored key block');
      keys = [];
      for (const block of blocks) {
        keys.push(
          ...(kind === 'private'
            ? await openpgp.readPrivateKeys({ armoredKeys: block })
            : await openpgp.readKeys({ armoredKeys: block })),
        );
      }
    } else {
      const binaryKeys = input.data as Uint8Array;
      keys =
        kind === 'private'
          ? await openpgp.readPrivateKeys({ binaryKeys })
          : await openpgp.readKeys({ binaryKeys });
    }
  } catch (error) {
    throw invalidKey(
      connection,
      input.label,
      `is not a readable OpenPGP ${kind} key`,
      kind === 'private'
        ? 'Export it with gpg --armor --export-secret-keys KEYID.'
        : 'Export it with gpg --armor --export KEYID (or gpg --export for a binary file).',
      error,
    );
  }
  const result: PublicKey[] = [];
  for (const key of keys) {
    if (kind === 'public' && key.isPrivate()) {
      throw invalidKey(connection, input.label, 'holds a private key where a public key belongs', '');
    }
    checkAlgorithms(connection, input.label, key);
    result.push(kind === 'public' ? key.toPublic() : key);
  }
  return result;
}

function checkAlgorithms(connection: string, label: string, key: PublicKey): void {
  for (const part of key.getKeys()) {
    const info = part.getAlgorithmInfo();
    const weakRsa = info.algorithm.startsWith('rsa') && (info.bits ?? 0) < MIN_RSA_BITS;
    if (weakRsa || info.algorithm === 'dsa' || info.algorithm === 'elgamal') {
      throw new FerryError(
        'PGP_KEY_UNSUPPORTED',
        `Connection "${connection}": ${label} key ${formatKeyId(key.getFingerprint())} uses ${algorithmName(part)} (key id ${formatKeyId(part.getKeyID().toHex())}), which ferry does not accept.`,
        {
          context: { connection, fingerprint: formatKeyId(key.getFingerprint()) },
          hint: `Use an Ed25519/X25519 key (gpg --quick-gen-key NAME ed25519) or RSA of ${MIN_RSA_BITS} bits or more.`,
        },
      );
    }
  }
}

async function unlock(
  connection: string,
  key: PrivateKey,
  passphrase: string | undefined,
): Promise<PrivateKey> {
  if (key.isDecrypted()) return key;
  const fingerprint = formatKeyId(key.getFingerprint());
  if (passphrase === undefined) {
    throw new FerryError(
      'PGP_BAD_PASSPHRASE',
      `Connection "${connection}": private key ${fingerprint} is protected by a passphrase, but pgp.passphrase is not set.`,
      {
        context: { connection, fingerprint },
        hint: 'Set pgp.passphrase to a reference such as "${env:FERRY_PGP_PASSPHRASE}".',
      },
    );
  }
  const openpgp = await loadOpenpgp();
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (error) {
    throw new FerryError(
      'PGP_BAD_PASSPHRASE',
      `Connection "${connection}": the passphrase does not unlock private key ${fingerprint}.`,
      {
        context: { connection, fingerprint },
        cause: error,
        hint: 'Check the value pgp.passphrase refers to (a trailing newline in a ${file:…} is removed).',
      },
    );
  }
}

function invalidKey(connection: string, label: string, what: string, hint: string, cause?: unknown) {
  return new FerryError('PGP_KEY_INVALID', `Connection "${connection}": ${label} ${what}.`, {
    context: { connection },
    ...(cause !== undefined ? { cause } : {}),
    ...(hint ? { hint } : {}),
  });
}

/** Armored files start with "-----BEGIN"; a binary key starts with a packet tag (high bit set). */
function isArmored(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 256)).toString('latin1');
  return head.includes('-----BEGIN PGP ');
}

/** Each `-----BEGIN <type>----- … -----END <type>-----` block; openpgp reads one block per call. */
export function splitArmorBlocks(text: string, type: string): string[] {
  const begin = `-----BEGIN ${type}-----`;
  const end = `-----END ${type}-----`;
  const blocks: string[] = [];
  let from = text.indexOf(begin);
  while (from >= 0) {
    const to = text.indexOf(end, from);
    if (to < 0) break;
    blocks.push(text.slice(from, to + end.length));
    from = text.indexOf(begin, to);
  }
  return blocks;
}
