/**
 * Every dependency is pinned to one exact version, the one package-lock.json installs: a caret range
 * lets `npm install` move to a release nobody tested (AWS SDK releases from 2027 need Node 22; ferry
 * runs on Node 20), and package.json and the lock must say the same so `npm ci` keeps working.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;
/** A version, not a range: 1.2.3 or 1.5.5-r.5. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

type Manifest = Partial<Record<(typeof SECTIONS)[number], Record<string, string>>>;
const readJson = <T>(file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as T;

/** `section name range` for every dependency whose range is not one exact version. */
function looseDependencies(manifest: Manifest): string[] {
  return SECTIONS.flatMap((section) =>
    Object.entries(manifest[section] ?? {})
      .filter(([, range]) => !EXACT.test(range))
      .map(([name, range]) => `${section} ${name} ${range}`),
  );
}

it('finds a caret, a tilde, a star or a tag', () => {
  expect(
    looseDependencies({
      dependencies: { a: '^1.0.0', b: '1.0.0', c: '1.5.5-r.5' },
      devDependencies: { d: '~2.0.0', e: '*', f: 'latest', g: '>=1 <2', h: '1.x' },
    }),
  ).toEqual([
    'dependencies a ^1.0.0',
    'devDependencies d ~2.0.0',
    'devDependencies e *',
    'devDependencies f latest',
    'devDependencies g >=1 <2',
    'devDependencies h 1.x',
  ]);
});

it('package.json pins every dependency to the version package-lock.json installs', () => {
  const manifest = readJson<Manifest>('package.json');
  const lock = readJson<{ packages: Record<string, Manifest & { version?: string }> }>('package-lock.json');
  expect(looseDependencies(manifest)).toEqual([]);
  const rootEntry = lock.packages[''] ?? {};
  for (const section of SECTIONS) {
    // The lock's copy of package.json agrees (npm ci refuses otherwise), and so do the installed versions.
    expect(rootEntry[section] ?? {}, section).toEqual(manifest[section] ?? {});
    for (const [name, version] of Object.entries(manifest[section] ?? {}))
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
  }
  expect(Object.keys(manifest.dependencies ?? {})).toContain('@aws-sdk/client-s3');
});
