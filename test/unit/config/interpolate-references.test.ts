import { describe, expect, it, vi } from 'vitest';
import {
  interpolateReferences,
  isSecretReference,
  parseReference,
  type ReferenceResolver,
} from '../../../engine/config/interpolate-references.js';

const env: Record<string, string> = { HOST: 'example.com', EMPTY: '' };
const resolve: ReferenceResolver = {
  refuse: () => undefined,
  read: (ref) => (ref.kind === 'env' ? env[ref.name] : undefined),
};

describe('interpolateReferences', () => {
  it('substitutes env references inside strings, with defaults', () => {
    const result = interpolateReferences(
      { url: 'https://${env:HOST}/x', port: '${env:PORT:-9000}', n: 3, list: ['${env:HOST}'] },
      { secretKeys: new Set(), resolve },
    );
    expect(result.value).toEqual({ url: 'https://example.com/x', port: '9000', n: 3, list: ['example.com'] });
    expect(result.issues).toEqual([]);
    expect(result.referencePointers).toEqual(['/url', '/port', '/list/0']);
    expect(result.resolved).toEqual([
      { pointer: '/url', text: '${env:HOST}', value: 'example.com' },
      { pointer: '/port', text: '${env:PORT:-9000}', value: '9000' },
      { pointer: '/list/0', text: '${env:HOST}', value: 'example.com' },
    ]);
  });

  it('leaves a refused reference unresolved and never reads it, in secret and other fields', () => {
    const read = vi.fn(() => 'leaked');
    const result = interpolateReferences(
      { description: 'x ${env:AWS_SECRET:-d} y', auth: { secret_access_key: '${file:/proc/self/environ}' } },
      {
        secretKeys: new Set(['secret_access_key']),
        resolve: { refuse: (ref) => ({ message: `no ${ref.name}`, hint: 'h' }), read },
      },
    );
    expect(read).not.toHaveBeenCalled();
    expect(result.value).toEqual({
      description: 'x ${env:AWS_SECRET:-d} y',
      auth: { secret_access_key: '${file:/proc/self/environ}' },
    });
    expect(result.issues.map((i) => [i.code, i.pointer, i.message])).toEqual([
      ['CONFIG_REFERENCE_NOT_ALLOWED', '/description', 'no AWS_SECRET'],
      ['CONFIG_REFERENCE_NOT_ALLOWED', '/auth/secret_access_key', 'no /proc/self/environ'],
    ]);
    expect(result.resolved).toEqual([]);
  });

  it('puts every reference inside a longer secret value to the rule, as a secret setting', () => {
    const refuse = vi.fn((ref: { name: string }) =>
      ref.name === '/etc/passwd' ? { message: `no ${ref.name}`, hint: 'h' } : undefined,
    );
    const result = interpolateReferences(
      { headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}', 'X-Key': 'k=${file:/etc/passwd}' } },
      { secretKeys: new Set(['headers']), resolve: { refuse, read: () => 'leaked' } },
    );
    expect(refuse.mock.calls).toEqual([
      [{ kind: 'env', name: 'HOOK_TOKEN' }, { secret: true }],
      [{ kind: 'file', name: '/etc/passwd' }, { secret: true }],
    ]);
    expect(result.issues.map((i) => [i.code, i.pointer])).toEqual([
      ['CONFIG_REFERENCE_NOT_ALLOWED', '/headers/X-Key'],
    ]);
    expect(result.value).toEqual({
      headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}', 'X-Key': 'k=${file:/etc/passwd}' },
    });
  });

  it('keeps secret fields as references (resolved only where a client is made)', () => {
    const result = interpolateReferences(
      { auth: { secret_access_key: '${env:HOST}' } },
      { secretKeys: new Set(['secret_access_key']), resolve },
    );
    expect(result.value).toEqual({ auth: { secret_access_key: '${env:HOST}' } });
  });

  it('reports unset variables and malformed references at their pointer', () => {
    const result = interpolateReferences(
      { a: { b: '${env:MISSING}' }, c: '${vault:x}' },
      { secretKeys: new Set(), resolve },
    );
    expect(result.issues.map((i) => [i.code, i.pointer])).toEqual([
      ['CONFIG_REFERENCE_UNSET', '/a/b'],
      ['CONFIG_REFERENCE_INVALID', '/c'],
    ]);
  });

  it('does not re-interpret substituted text (no injection)', () => {
    const result = interpolateReferences(
      { a: '${env:X}' },
      { secretKeys: new Set(), resolve: { refuse: () => undefined, read: () => '${env:HOST}' } },
    );
    expect(result.value).toEqual({ a: '${env:HOST}' });
  });
});

describe('reference syntax', () => {
  it.each([
    ['env:NAME', { kind: 'env', name: 'NAME' }],
    ['env:NAME:-dflt', { kind: 'env', name: 'NAME', defaultValue: 'dflt' }],
    ['file:/run/secrets/key', { kind: 'file', name: '/run/secrets/key' }],
    ['env:1BAD', undefined],
    ['vault:x', undefined],
    ['file:', undefined],
  ])('parseReference(%s)', (body, expected) => {
    expect(parseReference(body)).toEqual(expected);
  });

  it('recognizes exactly-one-reference strings', () => {
    expect(isSecretReference('${env:AWS_SECRET}')).toBe(true);
    expect(isSecretReference('${file:/x}')).toBe(true);
    expect(isSecretReference('${env:AWS_SECRET:-literal}')).toBe(false);
    expect(isSecretReference('prefix${env:A}')).toBe(false);
    expect(isSecretReference('wJalrXUtnFEMI/K7MDENG')).toBe(false);
  });
});
