/** The reference rule (docs/security.md) on a real directory: names, paths, symlinks, sizes. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reference } from '../../../engine/config/interpolate-references.js';
import { readReferencePolicy } from '../../../engine/config/reference-policy.js';
import {
  createReferenceResolver,
  MAX_REFERENCE_FILE_BYTES,
} from '../../../engine/project/create-reference-resolver.js';

const SECRET_KEYS = new Set(['access_key_id', 'secret_access_key']);
const env = (name: string): Reference => ({ kind: 'env', name });
const file = (name: string): Reference => ({ kind: 'file', name });

function setup(references?: (root: string) => unknown) {
  const root = mkdtempSync(join(tmpdir(), 'ferry-resolver-'));
  const dir = join(root, 'project');
  mkdirSync(join(dir, 'conf'), { recursive: true });
  mkdirSync(join(dir, '.secrets'));
  writeFileSync(join(root, 'outside.txt'), 'outside');
  writeFileSync(join(dir, 'conf', 'bucket.txt'), 'my-bucket\n');
  writeFileSync(join(dir, 'conf', 'big.txt'), 'x'.repeat(MAX_REFERENCE_FILE_BYTES + 1));
  writeFileSync(join(dir, '.secrets', 'key'), 'k');
  symlinkSync(join(root, 'outside.txt'), join(dir, 'conf', 'link.txt'));
  symlinkSync(join(dir, 'conf', 'bucket.txt'), join(dir, 'conf', 'inner-link.txt'));
  const raw = {
    connections: {
      s3: { auth: { access_key_id: '${env:FERRY_KEY_ID}', secret_access_key: '${file:.secrets/key}' } },
    },
    ...(references === undefined ? {} : { references: references(root) }),
  };
  const resolver = createReferenceResolver({
    projectDir: dir,
    env: { FERRY_BUCKET: 'b', FERRY_KEY_ID: 'id', OTHER: 'o' },
    policy: readReferencePolicy(raw, SECRET_KEYS),
  });
  const allowed = (ref: Reference, secret = false) => resolver.refuse(ref, { secret }) === undefined;
  return { root, dir, resolver, allowed };
}

describe('environment variables', () => {
  it('non-secret settings read FERRY_* by default; secret settings read any name', () => {
    const { allowed } = setup();
    expect(allowed(env('FERRY_BUCKET'))).toBe(true);
    expect(allowed(env('OTHER'))).toBe(false);
    expect(allowed(env('AWS_SECRET_ACCESS_KEY'))).toBe(false);
    expect(allowed(env('AWS_SECRET_ACCESS_KEY'), true)).toBe(true);
  });

  it('never a variable a secret setting reads, nor a secret-shaped name through a pattern', () => {
    const { allowed } = setup(() => ({ env: ['*', 'FERRY_API_TOKEN'] }));
    expect(allowed(env('OTHER'))).toBe(true);
    expect(allowed(env('FERRY_KEY_ID'))).toBe(false);
    expect(allowed(env('GITHUB_TOKEN'))).toBe(false);
    expect(allowed(env('FERRY_DB_PASSWORD'))).toBe(false);
    expect(allowed(env('FERRY_API_TOKEN'))).toBe(true);
  });

  it('never a variable a secret setting reads inside a longer value (Bearer ${env:…})', () => {
    const raw = {
      notifications: {
        hook: { kind: 'webhook', headers: { Authorization: 'Bearer ${env:FERRY_HOOK_AUTH} ${file:conf/t}' } },
      },
    };
    const policy = readReferencePolicy(raw, new Set(['headers']));
    expect([...policy.secretEnv]).toEqual([['FERRY_HOOK_AUTH', 'notifications.hook.headers.Authorization']]);
    expect([...policy.secretFiles]).toEqual([['conf/t', 'notifications.hook.headers.Authorization']]);
    const resolver = createReferenceResolver({ projectDir: tmpdir(), env: {}, policy });
    expect(resolver.refuse(env('FERRY_HOOK_AUTH'), { secret: false })?.message).toContain(
      'notifications.hook.headers.Authorization',
    );
  });

  it('references.env replaces the default', () => {
    const { allowed } = setup(() => ({ env: ['VENDOR_*'] }));
    expect(allowed(env('VENDOR_BUCKET'))).toBe(true);
    expect(allowed(env('FERRY_BUCKET'))).toBe(false);
  });
});

describe('files', () => {
  it('inside the project: relative, not hidden, no symlink out', () => {
    const { allowed, dir, resolver } = setup();
    expect(allowed(file('conf/bucket.txt'))).toBe(true);
    expect(resolver.read(file('conf/bucket.txt'))).toBe('my-bucket');
    expect(allowed(file('./conf/inner-link.txt'))).toBe(true);
    expect(allowed(file('conf/link.txt'))).toBe(false);
    expect(allowed(file('../outside.txt'))).toBe(false);
    expect(allowed(file('conf/../../outside.txt'))).toBe(false);
    expect(allowed(file(join(dir, 'conf', 'bucket.txt')))).toBe(false);
    expect(allowed(file('.secrets/key'))).toBe(false);
    expect(allowed(file('/proc/self/environ'))).toBe(false);
  });

  it('a file a secret setting reads is refused to non-secret settings under any spelling', () => {
    const { allowed } = setup(() => ({ files: ['.secrets/*'] }));
    expect(allowed(file('.secrets/key'), true)).toBe(true);
    expect(allowed(file('./.secrets/key'))).toBe(false);
  });

  it('secret settings also read /run/secrets and /var/run/secrets; listed files anyone', () => {
    const { allowed, root } = setup((root: string) => ({ files: [join(root, '*.txt')] }));
    expect(allowed(file('/run/secrets/vendor_key'), true)).toBe(true);
    expect(allowed(file('/var/run/secrets/kubernetes.io/serviceaccount/token'), true)).toBe(true);
    expect(allowed(file('/run/secrets/vendor_key'))).toBe(false);
    expect(allowed(file(join(root, 'outside.txt')))).toBe(true);
    expect(allowed(file('../outside.txt'))).toBe(true);
    expect(allowed(file('/proc/self/environ'), true)).toBe(false);
  });

  it('reads only regular files up to the size cap', () => {
    const { resolver } = setup(() => ({ files: ['/dev/zero'] }));
    expect(resolver.read(file('/dev/zero'))).toBeUndefined();
    expect(resolver.read(file('conf/big.txt'))).toBeUndefined();
    expect(resolver.read(file('conf'))).toBeUndefined();
  });
});
