/**
 * `ferry --version` is package.json's version, read by the built CLI at run time: a copy of bin/
 * and dist/ beside a package.json with another version prints that version (a constant in the code
 * could not). test/global-setup.ts builds dist/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENV = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' };

const version = (root: string) =>
  execFileSync(process.execPath, [join(root, 'bin', 'ferry.js'), '--version'], {
    env: ENV,
    encoding: 'utf8',
  });

describe('ferry --version', () => {
  it('prints the version in package.json', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version(ROOT)).toBe(`${manifest.version}\n`);
  });

  it('follows package.json, not a constant in the code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-version-'));
    try {
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'ferry', version: '9.8.7-test', type: 'module' }),
      );
      expect(version(dir)).toBe('9.8.7-test\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
