/**
 * Each run gets its own temp directory; every local path a run uses (downloads, decrypted files, DuckDB
 * spill) lives under it and is chosen by ferry, never derived from an object key.
 *
 * A run that dies (SIGKILL, out of memory, power) cannot remove its directory, and a big run leaves
 * gigabytes. So each directory holds a marker naming the process that owns it (pid, host, the
 * process's start time), and the first run of a process removes the directories of runs whose
 * process is gone. A directory is removed only when its owner is known to be dead: another host's,
 * a live pid's, and one without a readable marker are kept (see removeStaleRunTempDirs).
 */

import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';

export interface RunTempDir {
  path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  cleanup: () => Promise<void>;
}

/** Who owns a run temp dir; written first thing into it. */
export interface RunTempDirMarker {
  pid: number;
  host: string;
  /** When the owning process started (ISO): tells a reused pid from the owner. */
  processStartedAt: string;
  runId: string;
}

export const RUN_TEMP_DIR_MARKER = '.ferry-run.json';

/** Directories of runs that died before markers existed: `ferry-<run id>-XXXXXX`, old enough. */
const UNMARKED_RUN_DIR = /^ferry-\d{8}T\d{6}Z-[0-9a-f]{8}-[A-Za-z0-9]{6}$/;
const UNMARKED_MIN_AGE_MS = 24 * 3_600_000;

const PROCESS_STARTED_AT = new Date(Math.round(Date.now() - process.uptime() * 1000)).toISOString();
/** Roots this process has already swept. */
const swept = new Map<string, Promise<string[]>>();

/**
 * Creates `<root>/ferry-<runId>-XXXXXX` (root defaults to the OS temp dir) with its owner marker. The
 * first call for a root in a process first removes the directories dead runs left there.
 */
export async function createRunTempDir(options: { root?: string; runId: string }): Promise<RunTempDir> {
  const root = options.root ?? tmpdir();
  await (swept.get(root) ?? sweepRunTempDirs({ root }));
  // The run id is ours, but keep the name a single safe path segment whatever it contains.
  const safeRunId = options.runId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const path = await mkdtemp(join(root, `ferry-${safeRunId}-`)).catch((error: unknown) => {
    throw tempDirFailed(root, error);
  });
  const cleanup = (): Promise<void> => rm(path, { recursive: true, force: true });
  const marker: RunTempDirMarker = {
    pid: process.pid,
    host: hostname(),
    processStartedAt: PROCESS_STARTED_AT,
    runId: options.runId,
  };
  try {
    await writeFile(join(path, RUN_TEMP_DIR_MARKER), JSON.stringify(marker) + '\n', { flag: 'wx' });
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { path, cleanup };
}

/** RUN_TEMP_DIR_FAILED: the run's own directory cannot be made under `root` (permissions, full disk). */
function tempDirFailed(root: string, cause: unknown): FerryError {
  const code = (cause as NodeJS.ErrnoException).code;
  const uid = process.getuid?.();
  return new FerryError(
    'RUN_TEMP_DIR_FAILED',
    `Cannot create the run's temp directory in ${root}${code === undefined ? '' : ` (${code})`}.`,
    {
      cause,
      context: { directory: root, ...(code === undefined ? {} : { errorCode: code }) },
      hint:
        code === 'ENOSPC' || code === 'EDQUOT'
          ? `The disk under ${root} is full: free space there, or point TMPDIR at a larger disk.`
          : `Point TMPDIR at a directory ferry can write${uid === undefined ? '' : ` (it runs as uid ${uid})`}, or make ${root} writable; every run keeps its downloads and DuckDB's spill files there.`,
    },
  );
}

/**
 * Removes what dead runs left under `root` now (as removeStaleRunTempDirs, never failing), and counts
 * as this process's sweep of `root`: a createRunTempDir that follows does not sweep again (each sweep
 * reads a marker in every ferry-* directory there, sequentially).
 */
export function sweepRunTempDirs(options: { root?: string } = {}): Promise<string[]> {
  const root = options.root ?? tmpdir();
  const sweep = removeStaleRunTempDirs({ root }).catch(() => []);
  swept.set(root, sweep);
  return sweep;
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readMarker(dir: string): Promise<RunTempDirMarker | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, RUN_TEMP_DIR_MARKER), 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const marker = value as Partial<RunTempDirMarker>;
    if (!Number.isInteger(marker.pid) || typeof marker.host !== 'string') return undefined;
    return marker as RunTempDirMarker;
  } catch {
    return undefined;
  }
}

/** Whether the run that made `dir` is known to be dead. */
async function isAbandoned(dir: string, name: string, now: number): Promise<boolean> {
  const marker = await readMarker(dir);
  if (marker === undefined) {
    // No marker: a run of a ferry before markers, or one that has not written it yet. Only the
    // first kind is ever a day old.
    if (!UNMARKED_RUN_DIR.test(name)) return false;
    const info = await stat(dir).catch(() => undefined);
    return info !== undefined && now - info.mtimeMs >= UNMARKED_MIN_AGE_MS;
  }
  if (marker.host !== hostname()) return false;
  if (marker.pid === process.pid) return marker.processStartedAt !== PROCESS_STARTED_AT;
  return !processExists(marker.pid);
}

/**
 * Removes the run temp dirs under `root` whose owner process is gone, and returns their paths. Never
 * touches a directory whose owner is alive, runs on another host, or cannot be told.
 */
export async function removeStaleRunTempDirs(options: { root?: string; now?: Date } = {}): Promise<string[]> {
  const root = options.root ?? tmpdir();
  const now = (options.now ?? new Date()).getTime();
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith('ferry-')) continue;
    const dir = join(root, entry.name);
    if (!(await isAbandoned(dir, entry.name, now))) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    removed.push(dir);
  }
  return removed;
}
