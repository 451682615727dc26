import { describe, expect, it } from 'vitest';
import { maskSecretValues } from '../../../engine/config/mask-secret-values.js';

const KEYS = new Set(['access_key_id', 'secret_access_key', 'private_key', 'passphrase']);

describe('maskSecretValues', () => {
  it('masks every literal secret value on a line, keeps references and columns', () => {
    const text = 'auth: {access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: "s3cr3t/value", x: 1}\n';
    const masked = maskSecretValues(text, KEYS);
    expect(masked).toBe(
      'auth: {access_key_id: ********************, secret_access_key: **************, x: 1}\n',
    );
    expect(masked.length).toBe(text.length);
    const refs = 'access_key_id: ${env:KEY}\nsecret_access_key: "${file:/run/secrets/k}"\n';
    expect(maskSecretValues(refs, KEYS)).toBe(refs);
  });

  it('masks the anchored value a secret setting reaches through an alias, on the anchor line too', () => {
    const text = [
      'x-shared:',
      '  key: &k LEAKSECRET1234567',
      '  tree: &t {a: TREESECRET98765}',
      'auth:',
      '  secret_access_key: *k',
      '  passphrase: *t',
      '',
    ].join('\n');
    const masked = maskSecretValues(text, KEYS);
    expect(masked).not.toContain('LEAKSECRET1234567');
    expect(masked).not.toContain('TREESECRET98765');
    expect(masked).toContain('  key: &k *****************');
    expect(masked.length).toBe(text.length);
  });

  it('masks block scalars line by line', () => {
    const text = 'pgp:\n  private_key: |\n    -----BEGIN PGP PRIVATE KEY BLOCK-----\n    abc\n  other: 1\n';
    const masked = maskSecretValues(text, KEYS);
    expect(masked).not.toContain('BEGIN');
    expect(masked).not.toContain('abc');
    expect(masked.split('\n').length).toBe(text.split('\n').length);
    expect(masked).toContain('other: 1');
  });

  it('still masks when the YAML does not parse', () => {
    const text = 'auth:\n  secret_access_key: wJalrXUtnFEMI\n\tbad: [\n  passphrase: hunter2hunter2 # note\n';
    const masked = maskSecretValues(text, KEYS);
    expect(masked).not.toContain('wJalrXUtnFEMI');
    expect(masked).not.toContain('hunter2hunter2');
    expect(masked).toContain('# note');
  });

  it('masks credentials in any URL', () => {
    expect(maskSecretValues('endpoint: https://minio:minio123@host:9000/x\n', KEYS)).toBe(
      'endpoint: https://**************@host:9000/x\n',
    );
  });
});
