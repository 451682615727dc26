/**
 * The PGP parts of the configuration in one form: a connection's keys (secrets stay references),
 * `source.decrypt` and `sink.encrypt` with their defaults. The defaults mirror the schemas' `default`s.
 */
import type { PgpDecrypt, PgpEncrypt, PgpKeys } from './model.js';
import type { Decrypt as DecryptSpec, Encrypt as EncryptSpec } from './pipeline-spec.gen.js';
import type { PgpKeys as PgpKeysSpec } from './project-spec.gen.js';

export function normalizePgpKeys(spec: PgpKeysSpec): PgpKeys {
  return {
    ...(spec.private_key !== undefined ? { privateKey: { ref: spec.private_key } } : {}),
    ...(spec.passphrase !== undefined ? { passphrase: { ref: spec.passphrase } } : {}),
    publicKeys: [...(spec.public_keys ?? [])],
  };
}

export function normalizePgpDecrypt(spec: DecryptSpec): PgpDecrypt {
  return {
    kind: 'pgp',
    requireSignature: spec.require_signature ?? false,
    ...(spec.max_bytes !== undefined ? { maxBytes: spec.max_bytes } : {}),
  };
}

export function normalizePgpEncrypt(spec: EncryptSpec): PgpEncrypt {
  return {
    kind: 'pgp',
    recipients: [...spec.recipients],
    sign: spec.sign ?? false,
    armor: spec.armor ?? false,
  };
}
