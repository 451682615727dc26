/** Codes are public: every code the engine can raise is documented in docs/problem-codes.md. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

it('every error and warning code in engine/ is documented', () => {
  const doc = readFileSync(join(root, 'docs', 'problem-codes.md'), 'utf8');
  const codes = new Set<string>();
  for (const file of sources(join(root, 'engine'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new FerryError\(\s*'([A-Z0-9_]+)'/g)) codes.add(m[1] ?? '');
    for (const m of text.matchAll(/\bcode: '([A-Z0-9_]+)'/g)) codes.add(m[1] ?? '');
  }
  expect(codes.size).toBeGreaterThan(50);
  expect([...codes].filter((code) => !doc.includes(`\`${code}\``)).sort()).toEqual([]);
});
