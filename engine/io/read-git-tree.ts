/**
 * The project's YAML files as they are at a git ref, copied into a directory, so `plan --offline
 * --base REF` can load the base configuration the same way as the working tree. Only `.yaml`/`.yml`
 * files under the project directory are copied (a `${file:…}` reference to another file resolves
 * against the working tree's copy, not the ref's).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { FerryError } from '../errors/ferry-error.js';

const run = promisify(execFile);
const MAX_BUFFER = 64 * 1024 * 1024;

async function git(cwd: string, args: readonly string[], ref: string): Promise<Buffer> {
  try {
    const { stdout } = await run('git', [...args], { cwd, maxBuffer: MAX_BUFFER, encoding: 'buffer' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    throw new FerryError(
      'GIT_FAILED',
      `Cannot read the configuration at git ref "${ref}": ${stderr || String(error)}`,
      {
        context: { ref, directory: cwd },
        hint: 'Run ferry inside a git checkout that has the ref (in CI, fetch it first, e.g. `git fetch origin main`).',
      },
    );
  }
}

/** Copies the project's YAML files at `ref` into `target`; returns the project directory inside it. */
export async function readGitTree(options: {
  projectDir: string;
  ref: string;
  target: string;
}): Promise<string> {
  const { projectDir, ref, target } = options;
  const top = (await git(projectDir, ['rev-parse', '--show-toplevel'], ref)).toString('utf8').trim();
  const sub = relative(top, projectDir);
  const listing = await git(top, ['ls-tree', '-r', '-z', '--name-only', ref, '--', sub || '.'], ref);
  const files = listing
    .toString('utf8')
    .split('\0')
    .filter((f) => /\.ya?ml$/i.test(f));
  for (const file of files) {
    const content = await git(top, ['show', `${ref}:${file}`], ref);
    const path = join(target, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  return join(target, sub);
}
