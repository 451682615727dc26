/** The PGP defaults in code are the schemas' `default`s, and secret fields stay references. */
import { expect, it } from 'vitest';
import { readConfigSchema } from '../../../engine/config/config-schemas.js';
import {
  normalizePgpDecrypt,
  normalizePgpEncrypt,
  normalizePgpKeys,
} from '../../../engine/config/normalize-pgp.js';

type Props = Record<string, { default?: unknown }>;
const definition = (schema: 'ferry' | 'pipeline', name: string) =>
  (readConfigSchema(schema)['definitions'] as Record<string, { properties: Props }>)[name]?.properties ?? {};

it('decrypt and encrypt defaults match the pipeline schema', () => {
  const decrypt = definition('pipeline', 'decrypt');
  expect(normalizePgpDecrypt({ kind: 'pgp' })).toEqual({
    kind: 'pgp',
    requireSignature: decrypt['require_signature']?.default,
  });
  // No default of its own: unset, the project-wide cap on decompressed files applies.
  expect(decrypt['max_bytes']?.default).toBeUndefined();
  expect(normalizePgpDecrypt({ kind: 'pgp', max_bytes: 5 }).maxBytes).toBe(5);
  const encrypt = definition('pipeline', 'encrypt');
  expect(normalizePgpEncrypt({ kind: 'pgp', recipients: ['a@example.com'] })).toEqual({
    kind: 'pgp',
    recipients: ['a@example.com'],
    sign: encrypt['sign']?.default,
    armor: encrypt['armor']?.default,
  });
});

it('keys: the private key and passphrase stay references', () => {
  expect(
    normalizePgpKeys({
      private_key: '${file:/run/secrets/k.asc}',
      passphrase: '${env:PASS}',
      public_keys: ['keys/partner.asc'],
    }),
  ).toEqual({
    privateKey: { ref: '${file:/run/secrets/k.asc}' },
    passphrase: { ref: '${env:PASS}' },
    publicKeys: ['keys/partner.asc'],
  });
  expect(normalizePgpKeys({})).toEqual({ publicKeys: [] });
});
