/**
 * Builds dist/ once before any test file runs, so end-to-end tests (which run the built CLI as a
 * child process) never race each other rebuilding it. Also points TMPDIR at a directory of this test
 * run, removed when it ends: the workers and every process they start inherit it, so whatever a test
 * or a killed child leaves in os.tmpdir() (run temp dirs, s3rver's data, fixtures) goes with the run
 * instead of piling up in /tmp.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): () => void {
  const runTemp = mkdtempSync(join(tmpdir(), 'ferry-tests-'));
  process.env['TMPDIR'] = runTemp;
  const teardown = () => rmSync(runTemp, { recursive: true, force: true });
  const root = join(import.meta.dirname, '..');
  const built = join(root, 'dist', 'cli', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'engine'))) return teardown;
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  return teardown;
}
