/**
 * The local state backend's storage: one file per key under the state directory. Writes go to a temp
 * file that is fsynced and renamed over the target, so a crash leaves the old file or the new one.
 *
 * Conditional writes hold a short per-key mutex (an exclusively created directory) around
 * read-compare-rename; the version is the SHA-256 of the content. A mutex left by a process that died
 * inside that window is removed after MUTEX_STALE_MS.
 */
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FerryError } from '../errors/ferry-error.js';
import { failpoint } from '../io/failpoint.js';
import { sha256OfFile } from '../io/sha256-of-file.js';
import {
  assertStateKey,
  type BlobStore,
  type ConditionalWriteCheck,
  type StoredBlob,
  type WriteCondition,
} from './blob-store.js';

const MUTEX_STALE_MS = 30_000;
const MUTEX_WAIT_MS = 20_000;

function versionOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class LocalBlobStore implements BlobStore {
  readonly sharedAcrossHosts = false;

  /** `directory`: absolute; `displayRoot`: how messages name it (relative to the project). */
  constructor(
    readonly directory: string,
    private readonly displayRoot: string = directory,
  ) {}

  get location(): string {
    return this.displayRoot.endsWith('/') ? this.displayRoot : `${this.displayRoot}/`;
  }

  /** Conditional writes hold a per-key mutex on the local file system: always enforced. */
  checkConditionalWrites(): Promise<ConditionalWriteCheck> {
    return Promise.resolve({ support: 'enforced', how: 'local directory' });
  }

  describe(key: string): string {
    return `${this.location}${key}`;
  }

  /** The file behind a key (the local backend only: DuckDB and tests may read it in place). */
  pathOf(key: string): string {
    assertStateKey(key);
    return join(this.directory, ...key.split('/'));
  }

  async read(key: string): Promise<StoredBlob | undefined> {
    const path = this.pathOf(key);
    try {
      const [data, info] = await Promise.all([readFile(path), stat(path)]);
      return { data, version: versionOf(data), modifiedAt: info.mtime };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.failed('read', key, error);
    }
  }

  async write(key: string, data: string | Buffer, condition?: WriteCondition): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.replace(key, condition, async (temp) => {
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    await removeDeadTemps(this.pathOf(key));
    return versionOf(bytes);
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    const path = this.pathOf(key);
    const remove = async () => {
      if (condition) await this.checkCondition(key, condition);
      await rm(path, { force: true });
    };
    try {
      if (condition) await this.withMutex(path, remove);
      else await remove();
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw this.failed('write', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const trimmed = prefix.replace(/\/$/, '');
    const root = trimmed ? this.pathOf(trimmed) : this.directory;
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw this.failed('read', relative(this.directory, dir).split(sep).join('/'), error);
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory() && !entry.name.endsWith('.mutex')) await walk(full);
        else if (entry.isFile() && !entry.name.includes('.tmp-')) {
          keys.push(relative(this.directory, full).split(sep).join('/'));
        }
      }
    };
    await walk(root);
    return keys.sort();
  }

  async putFile(key: string, localPath: string, condition?: { ifNoneMatch: '*' }): Promise<void> {
    await this.replace(key, condition, async (temp) => {
      await copyFile(localPath, temp);
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * Fill a temp file beside the key's file, then rename it over the target (under the key's mutex
   * when a condition is given), and fsync the directory: a crash leaves the old file or the new one.
   */
  private async replace(
    key: string,
    condition: WriteCondition | undefined,
    fill: (temp: string) => Promise<void>,
  ): Promise<void> {
    const path = this.pathOf(key);
    const temp = tempPathFor(path);
    try {
      await mkdir(dirname(path), { recursive: true });
      await fill(temp);
      if (key.endsWith('/state.json')) failpoint('during-state-write');
      if (condition) {
        await this.withMutex(path, async () => {
          await this.checkCondition(key, condition);
          await rename(temp, path);
        });
      } else {
        await rename(temp, path);
      }
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      if (error instanceof FerryError) throw error;
      throw this.failed('write', key, error);
    }
    await syncDirectory(dirname(path)).catch((error: unknown) => {
      throw this.failed('write', key, error);
    });
  }

  async getFile(key: string, localPath: string): Promise<boolean> {
    try {
      await copyFile(this.pathOf(key), localPath);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.failed('read', key, error);
    }
  }

  /** SHA-256 of a blob's bytes, streamed (large files). */
  async hashFile(key: string): Promise<string | undefined> {
    try {
      return await sha256OfFile(this.pathOf(key));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async checkCondition(key: string, condition: WriteCondition | { ifMatch: string }): Promise<void> {
    const current = await this.read(key);
    const ok = 'ifNoneMatch' in condition ? current === undefined : current?.version === condition.ifMatch;
    if (!ok) {
      throw new FerryError(
        'STATE_CONFLICT',
        `${this.describe(key)} changed while this run was working${'ifNoneMatch' in condition ? ' (it exists already)' : ''}.`,
        {
          context: { file: this.describe(key) },
          hint: 'Another run wrote the same state. Nothing of this run was committed; run it again.',
        },
      );
    }
  }

  /** Runs `fn` holding `<path>.mutex`; waits for another holder, breaks a mutex its holder left behind. */
  private async withMutex<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const mutex = `${path}.mutex`;
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await mkdir(mutex);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const info = await stat(mutex).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > MUTEX_STALE_MS) {
        await rmdir(mutex).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > MUTEX_WAIT_MS) {
        throw new FerryError('STATE_BUSY', `${path} is being written by another process.`, {
          retryable: true,
          hint: `If no ferry process is running, remove the directory ${mutex}.`,
        });
      }
      await delay(Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
    }
    try {
      return await fn();
    } finally {
      await rmdir(mutex).catch(() => undefined);
    }
  }

  private failed(action: 'read' | 'write', key: string, cause: unknown): FerryError {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === undefined ? String(cause) : `${FILE_ERRORS[code] ?? 'failed'} (${code})`;
    return new FerryError(
      action === 'read' ? 'STATE_READ_FAILED' : 'STATE_WRITE_FAILED',
      `Cannot ${action} ${this.describe(key)}: ${reason}.`,
      {
        cause,
        context: { file: this.describe(key), ...(code === undefined ? {} : { errorCode: code }) },
        hint: stateDirectoryHint(this.location, action, code),
      },
    );
  }
}

/** How the local state's file errors read in a message. */
const FILE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file stands where a directory must be',
  EISDIR: 'a directory stands where a file must be',
  EIO: 'input/output error',
};

/** What to do about a local state file error: the user ferry runs as matters for permissions. */
function stateDirectoryHint(location: string, action: 'read' | 'write', code: string | undefined): string {
  switch (code ?? '') {
    case 'EACCES':
    case 'EPERM': {
      const uid = process.getuid?.();
      const who = uid === undefined ? 'the user ferry runs as' : `the user ferry runs as (uid ${uid})`;
      const chown = uid === undefined ? '' : `, for example \`chown -R ${uid} ${location}\``;
      return `Make ${location} ${action === 'read' ? 'readable' : 'readable and writable'} by ${who}${chown}. The container runs as uid 1000 (node): a volume mounted at /project/state must be writable by it.`;
    }
    case 'EROFS':
      return `${location} is on a read-only file system: mount it writable, or keep state on S3 (state: {kind: s3} in ferry.yaml).`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free space on the disk that holds ${location}, then run again: a failed write leaves the file as it was.`;
    case 'ENOTDIR':
    case 'EISDIR':
      return `Something other than ferry's state is in ${location}: state.directory in ferry.yaml must name a directory that only ferry writes.`;
    default:
      return `Check that ${location} exists and that ferry can ${action} it.`;
  }
}

/** A temp file beside the target, named after this process so leftovers of dead ones can be found. */
function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomUUID()}`;
}

/** Temp files of `path` that a process killed mid-write left behind (its pid no longer exists). */
async function removeDeadTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.tmp-`;
  const entries = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(dirname(path), entry), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** fsync a directory so a rename in it survives a power loss (best effort: not every FS allows it). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}
