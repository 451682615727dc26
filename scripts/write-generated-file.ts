/**
 * What the generators share (generate-schema-validators.ts, generate-state-validators.ts): write a
 * generated file, or with `--check` on the command line only say whether it is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes `text` to `root + relativePath`; with `--check`, writes nothing and returns false (after
 * saying so on stderr) when the file on disk differs. Returns true otherwise.
 */
export function writeGeneratedFile(root: string, relativePath: string, text: string): boolean {
  const path = `${root}${relativePath}`;
  if (!process.argv.includes('--check')) {
    writeFileSync(path, text);
    return true;
  }
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing: stale
  }
  if (current === text) return true;
  console.error(`${relativePath} is stale: run \`npm run gen:types\`.`);
  return false;
}
