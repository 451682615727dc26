/**
 * ferry's own version, from package.json (read once, when first imported): what `ferry --version`
 * prints and what a saved JSON plan records. package.json sits one level up from both
 * engine/ferry-version.ts (tsx, tests) and dist/ferry-version.js (the built CLI), and npm always
 * ships it with the package.
 */
import { readFileSync } from 'node:fs';

function readFerryVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name?: unknown;
    version?: unknown;
  };
  if (manifest.name !== 'ferry' || typeof manifest.version !== 'string') {
    throw new Error('ferry-version: ../package.json is not ferry’s package manifest');
  }
  return manifest.version;
}

export const FERRY_VERSION: string = readFerryVersion();
