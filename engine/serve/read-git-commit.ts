/**
 * The commit a project directory is checked out at, read from the files git keeps (no git binary:
 * the container may not have one). Handles a plain checkout, a linked worktree or a git-sync
 * checkout (`.git` is a file `gitdir: …`), a detached HEAD (git-sync's), refs in packed-refs.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export async function readGitCommit(directory: string): Promise<string | undefined> {
  try {
    const gitDir = await findGitDir(await realpath(directory));
    if (!gitDir) return undefined;
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    if (SHA.test(head)) return head;
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return undefined;
    const commonDir = await readCommonDir(gitDir);
    for (const dir of [gitDir, commonDir]) {
      const loose = await readFile(join(dir, ref), 'utf8').catch(() => undefined);
      if (loose !== undefined && SHA.test(loose.trim())) return loose.trim();
    }
    const packed = await readFile(join(commonDir, 'packed-refs'), 'utf8').catch(() => '');
    for (const line of packed.split('\n')) {
      const [sha, name] = line.trim().split(' ');
      if (name === ref && sha !== undefined && SHA.test(sha)) return sha;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

async function findGitDir(start: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    const candidate = join(dir, '.git');
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isDirectory()) return candidate;
    if (info?.isFile()) {
      const pointer = /^gitdir: (.+)$/m.exec(await readFile(candidate, 'utf8'))?.[1];
      return pointer ? resolve(dir, pointer.trim()) : undefined;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function readCommonDir(gitDir: string): Promise<string> {
  const common = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  return common ? resolve(gitDir, common.trim()) : gitDir;
}
