/**
 * The local state backend: one directory per pipeline under the project's state directory.
 *
 *   pipelines/<name>/state.json          committed state (the single commit point: temp + fsync + rename)
 *   pipelines/<name>/snapshot-<run>.parquet  diff snapshot referenced from state.json
 *   pipelines/<name>/lock.json           one writer at a time (exclusive create, expiry, heartbeat)
 *   pipelines/<name>/runs/<run>.json     run reports, failed runs included (never part of state)
 *   pipelines/<name>/runs/<run>.rejected.csv  every rejected row of that run (a log, like the report)
 *
 * A failed run never calls commit, so state.json and the snapshot stay byte-identical.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { copyFile, link, mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import { emptyPipelineState, STATE_FORMAT_VERSION, type PipelineState, type RunRecord } from './pipeline-state.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface LockInfo {
  owner: string;
  runId: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
}

export interface HeldLock {
  info: LockInfo;
  release(): Promise<void>;
}

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export class LocalStateStore {
  constructor(readonly directory: string) {}

  pipelineDir(pipeline: string): string {
    // Pipeline names are validated by the schema; check again because this builds a path.
    if (!SAFE_NAME.test(pipeline)) {
      throw new FerryError('STATE_BAD_NAME', `"${pipeline}" cannot be used as a state directory name.`);
    }
    return join(this.directory, 'pipelines', pipeline);
  }

  async readPipelineState(pipeline: string): Promise<PipelineState> {
    const path = join(this.pipelineDir(pipeline), 'state.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyPipelineState(pipeline);
      throw new FerryError('STATE_READ_FAILED', `Cannot read state file ${path}.`, { cause: error, context: { pipeline } });
    }
    let state: PipelineState;
    try {
      state = JSON.parse(text) as PipelineState;
    } catch (error) {
      throw new FerryError('STATE_CORRUPT', `State file ${path} is not valid JSON.`, {
        cause: error,
        context: { pipeline },
        hint: 'Restore it from backup; ferry writes state atomically, so this file was changed outside ferry.',
      });
    }
    if (state.formatVersion !== STATE_FORMAT_VERSION) {
      throw new FerryError('STATE_VERSION', `State file ${path} has format version ${String(state.formatVersion)}; this ferry reads ${STATE_FORMAT_VERSION}.`, {
        context: { pipeline },
        hint: 'Upgrade ferry to the version that wrote this state.',
      });
    }
    return state;
  }

  snapshotPath(pipeline: string, file: string): string {
    return join(this.pipelineDir(pipeline), file);
  }

  /**
   * Commit: copy the new snapshot in under a fresh name, then atomically replace state.json.
   * Only after the rename do older snapshots get removed, so a crash at any point leaves a
   * consistent pair (old state + old snapshot, or new state + new snapshot).
   */
  async commitPipelineState(pipeline: string, state: PipelineState, options: { snapshotFrom?: string } = {}): Promise<void> {
    const dir = this.pipelineDir(pipeline);
    await mkdir(dir, { recursive: true });
    if (options.snapshotFrom) {
      if (!state.snapshot) throw new Error('commitPipelineState: snapshotFrom without state.snapshot');
      await copyFile(options.snapshotFrom, join(dir, state.snapshot.file));
      const handle = await open(join(dir, state.snapshot.file), 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await writeFileAtomic(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n', {
      failpoint: 'during-state-write',
    });
    for (const entry of await readdir(dir)) {
      if (entry.startsWith('snapshot-') && entry !== state.snapshot?.file) {
        await rm(join(dir, entry), { force: true });
      }
      if (entry.startsWith('state.json.tmp-')) await rm(join(dir, entry), { force: true });
    }
  }

  /** Names of the pipelines that have committed state (whether or not they are still configured). */
  async listPipelinesWithState(): Promise<string[]> {
    const root = join(this.directory, 'pipelines');
    if (!existsSync(root)) return [];
    const names = await readdir(root);
    return names.filter((n) => SAFE_NAME.test(n) && existsSync(join(root, n, 'state.json'))).sort();
  }

  async writeRunRecord(pipeline: string, record: RunRecord): Promise<string> {
    const dir = join(this.pipelineDir(pipeline), 'runs');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${record.runId}.json`);
    await writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
    return path;
  }

  async readLock(pipeline: string): Promise<LockInfo | undefined> {
    return readLockFile(join(this.pipelineDir(pipeline), 'lock.json'));
  }

  /** A dataset has one writer at a time too: two pipelines merging into it take turns. */
  async acquireDatasetLock(
    dataset: string,
    options: { runId: string; ttlMs?: number; heartbeatMs?: number; now?: () => Date },
  ): Promise<HeldLock> {
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(dataset)) {
      throw new FerryError('STATE_BAD_NAME', `"${dataset}" cannot be used as a dataset directory name.`);
    }
    return acquireLockFile(join(this.directory, 'datasets', dataset), `Dataset "${dataset}"`, { dataset }, options);
  }

  /**
   * One writer per pipeline: exclusive create of lock.json. A lock past its expiry may be taken
   * over (its holder stopped heartbeating: crashed or killed). Heartbeats extend the expiry.
   */
  async acquireLock(
    pipeline: string,
    options: { runId: string; ttlMs?: number; heartbeatMs?: number; now?: () => Date },
  ): Promise<HeldLock> {
    return acquireLockFile(this.pipelineDir(pipeline), `Pipeline "${pipeline}"`, { pipeline }, options);
  }
}

async function readLockFile(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * A holder on this machine whose process no longer exists (killed, crashed, OOM) holds nothing: its
 * lock is taken over at once instead of after expiry. Holders on other hosts, and processes that
 * exist (even if not ours: EPERM), are trusted until their lock expires. A reused pid only makes us
 * wait for the expiry, the safe side.
 */
function holderIsGone(holder: LockInfo): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid || !Number.isInteger(holder.pid)) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function acquireLockFile(
  dir: string,
  label: string,
  errorContext: { pipeline?: string; dataset?: string },
  options: { runId: string; ttlMs?: number; heartbeatMs?: number; now?: () => Date },
): Promise<HeldLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'lock.json');
  const now = options.now ?? (() => new Date());
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const makeInfo = (): LockInfo => ({
    owner: `${hostname()}:${process.pid}:${options.runId}`,
    runId: options.runId,
    host: hostname(),
    pid: process.pid,
    acquiredAt: now().toISOString(),
    expiresAt: new Date(now().getTime() + ttlMs).toISOString(),
  });
  const info = makeInfo();
  const tryCreate = async (): Promise<boolean> => {
    try {
      await writeFile(path, JSON.stringify(info, null, 2) + '\n', { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new FerryError('LOCK_FAILED', `Cannot create lock file ${path}.`, { cause: error, context: errorContext });
    }
  };
  if (!(await tryCreate())) {
    const holder = await readLockFile(path);
    const expired =
      holder !== undefined && (Date.parse(holder.expiresAt) < now().getTime() || holderIsGone(holder));
    let taken = false;
    if (expired) {
      // Move the stale lock aside; of two contenders only one rename succeeds. If what moved is not
      // the lock we judged stale (another contender replaced it in between), give it back: link
      // never overwrites, so a lock created meanwhile is not clobbered either.
      const aside = `${path}.stale-${options.runId}`;
      try {
        await rename(path, aside);
        const moved = await readLockFile(aside);
        if (moved?.owner === holder.owner) {
          taken = await tryCreate();
        } else {
          await link(aside, path).catch(() => undefined);
        }
      } catch {
        taken = false;
      } finally {
        await rm(aside, { force: true });
      }
    }
    if (!taken) {
      throw new FerryError(
        'LOCK_HELD',
        `${label} is locked by ${holder ? `run ${holder.runId} on ${holder.host} (pid ${holder.pid}) since ${holder.acquiredAt}, until ${holder.expiresAt}` : 'another run'}.`,
        {
          context: { ...errorContext, ...(holder ? { lockOwner: holder.owner } : {}) },
          hint: 'Wait for that run to finish. If it is gone, the lock expires on its own (at once when it ran on this machine); `ferry state unlock PIPELINE` removes a pipeline lock sooner.',
        },
      );
    }
  }
  let current = info;
  // Heartbeats are chained so release can wait for an in-flight write before removing the file.
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      current = { ...current, expiresAt: new Date(now().getTime() + ttlMs).toISOString() };
      const text = JSON.stringify(current, null, 2) + '\n';
      pending = pending.then(() => writeFileAtomic(path, text)).catch(() => undefined);
    },
    options.heartbeatMs ?? Math.max(1000, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return {
    info,
    release: async () => {
      clearInterval(timer);
      await pending;
      const holder = await readLockFile(path);
      if (holder?.owner === info.owner) await rm(path, { force: true });
    },
  };
}
