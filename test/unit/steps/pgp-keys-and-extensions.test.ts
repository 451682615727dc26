/** PGP's pure parts: the .pgp/.asc output extension, the PGP extension on input keys, plan lines. */
import { describe, expect, it } from 'vitest';
import type { S3Sink } from '../../../engine/config/model.js';
import { compressionFromExtension } from '../../../engine/duckdb/detect-compression.js';
import { classifyPgpError } from '../../../engine/io/pgp/wrap-pgp-error.js';
import type { Step } from '../../../engine/plan/plan-model.js';
import { describePgpSteps } from '../../../engine/report/describe-pgp-steps.js';
import { renderSinkKeys, sourceStem } from '../../../engine/steps/render-sink-keys.js';

const SINK: S3Sink = {
  kind: 's3',
  connection: 'dst',
  bucket: 'b',
  directory: 'out/',
  filename: 'audience',
  timestampFormat: 'YYYYMMDD',
  timezone: 'UTC',
  format: { kind: 'csv', delimiter: ',', quote: '"', headers: true, listSeparator: '&' },
  compress: 'gzip',
};

const keyOf = (sink: Partial<S3Sink>) =>
  renderSinkKeys({
    sink: { ...SINK, ...sink },
    pipeline: 'p',
    runId: 'r',
    runTime: new Date('2024-05-01T00:00:00Z'),
    sourceKeys: [],
    requests: [{ part: 1 }],
  })[0];

const encrypt = { kind: 'pgp' as const, recipients: ['x@example.com'], sign: false };

describe('output keys of encrypted sinks', () => {
  it('add .pgp (binary) or .asc (armored) after the format and compression extensions', () => {
    expect(keyOf({})).toBe('out/audience.csv.gz');
    expect(keyOf({ encrypt: { ...encrypt, armor: false } })).toBe('out/audience.csv.gz.pgp');
    expect(keyOf({ encrypt: { ...encrypt, armor: true } })).toBe('out/audience.csv.gz.asc');
  });

  it('keep a template that already ends with the format and a PGP extension (a partner wants .gpg)', () => {
    const sink = { encrypt: { ...encrypt, armor: false } };
    expect(keyOf({ ...sink, filename: 'audience.csv.gz.gpg' })).toBe('out/audience.csv.gz.gpg');
    expect(keyOf({ ...sink, filename: 'audience.csv.gz.pgp' })).toBe('out/audience.csv.gz.pgp');
    // {{ext}} carries the whole extension.
    expect(keyOf({ ...sink, filename: 'audience-{{ext}}' })).toBe('out/audience-csv.gz.pgp');
  });
});

describe('encrypted input keys', () => {
  it('understand the PGP extension before the compression extension', () => {
    expect(compressionFromExtension('in/accounts.csv.gz.pgp')).toBe('gzip');
    expect(compressionFromExtension('in/accounts.csv.zst.gpg')).toBe('zstd');
    expect(compressionFromExtension('in/accounts.csv.asc')).toBe('none');
    expect(sourceStem(['in/accounts.csv.gz.pgp'])).toBe('accounts');
  });
});

describe('openpgp failures', () => {
  it.each([
    ['Error decrypting message: Modification detected.', 'PGP_TAMPERED'],
    ['Error decrypting message: Unexpected end of packet', 'PGP_TRUNCATED'],
    [
      'Error decrypting message: Parsing CompressedDataPacket failed: Maximum decompressed message size exceeded',
      'PGP_TOO_LARGE',
    ],
    ['Error decrypting message: Message is not signed', 'PGP_SIGNATURE_MISSING'],
    ['Could not find signing key with key ID 6ecec9731e2bae2a', 'PGP_SIGNER_UNKNOWN'],
    ['Signed digest did not match', 'PGP_SIGNATURE_INVALID'],
    ['Signature creation time is in the future', 'PGP_SIGNATURE_INVALID'],
    ['Could not find valid signing key packet in key 6ecec9731e2bae2a', 'PGP_SIGNATURE_INVALID'],
    ['Error decrypting message: No decryption key packets found', 'PGP_WRONG_KEY'],
    ['Error decrypting message: Session key decryption failed.', 'PGP_TAMPERED'],
    ['Misformed armored text', 'PGP_MALFORMED'],
  ])('%s → %s', (message, code) => {
    expect(classifyPgpError(new Error(message))).toBe(code);
  });
});

describe('plan lines', () => {
  const key = (fingerprint: string, userId?: string) => ({
    fingerprint,
    algorithm: 'ed25519/cv25519',
    ...(userId ? { userId } : {}),
  });
  it('name keys by fingerprint, algorithm and user id', () => {
    const steps: Step[] = [
      {
        kind: 'fetch',
        connection: 'src',
        bucket: 'b',
        objects: [],
        decrypt: {
          keys: [key('AAAA', 'Ferry <f@example.com>')],
          requireSignature: true,
          verifyWith: [key('BBBB')],
        },
      },
      {
        kind: 'write-files',
        format: 'csv',
        compress: 'none',
        encrypt: { recipients: [key('CCCC'), key('DDDD')], signedBy: key('AAAA'), armor: true },
      },
    ];
    expect(describePgpSteps(steps)).toEqual([
      'decrypt  with AAAA (ed25519/cv25519, Ferry <f@example.com>); signature required from BBBB (ed25519/cv25519)',
      'encrypt  to CCCC (ed25519/cv25519), DDDD (ed25519/cv25519); signed by AAAA (ed25519/cv25519); armored',
    ]);
    expect(
      describePgpSteps([
        {
          kind: 'fetch',
          connection: 'src',
          bucket: 'b',
          objects: [],
          decrypt: { keys: [key('AAAA')], requireSignature: false, verifyWith: [] },
        },
      ]),
    ).toEqual(['decrypt  with AAAA (ed25519/cv25519); signatures not checked']);
  });
});
