import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRunTempDir,
  removeStaleRunTempDirs,
  RUN_TEMP_DIR_MARKER,
  sweepRunTempDirs,
  type RunTempDirMarker,
} from '../../../engine/io/temp-dir.js';
import { startTempDirHolder } from '../../harness/temp-dir-holder.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-temp-dir-test-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createRunTempDir', () => {
  it('creates a fresh directory under the root named after the run, and removes it on cleanup', async () => {
    const first = await createRunTempDir({ root, runId: 'run-42' });
    const second = await createRunTempDir({ root, runId: 'run-42' });
    expect(dirname(first.path)).toBe(root);
    expect(basename(first.path)).toMatch(/^ferry-run-42-.{6}$/);
    expect(second.path).not.toBe(first.path);
    await writeFile(join(first.path, 'x'), 'x');
    await first.cleanup();
    await first.cleanup();
    await expect(stat(first.path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(second.path)).isDirectory()).toBe(true);
    await second.cleanup();
  });

  it('keeps a hostile run id inside the root', async () => {
    const dir = await createRunTempDir({ root, runId: '../../etc/passwd' });
    expect(dirname(dir.path)).toBe(root);
    expect(basename(dir.path)).toMatch(/^ferry-\.\._\.\._etc_passwd-/);
    await dir.cleanup();
  });
});

describe('removeStaleRunTempDirs', () => {
  it('removes the dirs of runs whose process is gone and keeps every other', async () => {
    const sweepRoot = await mkdtemp(join(root, 'sweep-'));
    // In this order: each process sweeps the root before its first run temp dir.
    const own = await createRunTempDir({ root: sweepRoot, runId: 'own' });
    const live = await startTempDirHolder(sweepRoot, 'hold');
    const dead = await startTempDirHolder(sweepRoot, 'exit');
    try {
      const marked = async (name: string, marker: Partial<RunTempDirMarker>): Promise<string> => {
        const dir = join(sweepRoot, name);
        await mkdir(dir);
        const base = { pid: process.pid, host: hostname(), processStartedAt: 'x', runId: name };
        await writeFile(join(dir, RUN_TEMP_DIR_MARKER), JSON.stringify({ ...base, ...marker }));
        return dir;
      };
      const ownMarker = JSON.parse(
        await readFile(join(own.path, RUN_TEMP_DIR_MARKER), 'utf8'),
      ) as RunTempDirMarker;
      // This pid, but an earlier process (a restarted container's pid 1): dead.
      const earlierSelf = await marked('ferry-earlier-self-aaaaaa', {
        processStartedAt: '2001-01-01T00:00:00.000Z',
      });
      // The dead child's pid on another host sharing this temp dir: cannot tell, kept.
      const otherHost = await marked('ferry-other-host-aaaaaa', { pid: dead.pid, host: `not-${hostname()}` });
      // No marker: an old run of a ferry before markers (a day old) goes; a young one and a dir that
      // is not a run's stay.
      const unmarkedOld = join(sweepRoot, 'ferry-20240101T000000Z-0123abcd-AbC123');
      const unmarkedYoung = join(sweepRoot, 'ferry-20240102T000000Z-0123abcd-AbC123');
      const notARun = join(sweepRoot, 'ferry-engine-AbC123');
      for (const dir of [unmarkedOld, unmarkedYoung, notARun]) await mkdir(dir);
      const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
      await utimes(unmarkedOld, twoDaysAgo, twoDaysAgo);
      await utimes(notARun, twoDaysAgo, twoDaysAgo);

      const removed = await removeStaleRunTempDirs({ root: sweepRoot });

      expect(removed.sort()).toEqual([dead.path, earlierSelf, unmarkedOld].sort());
      for (const dir of [dead.path, earlierSelf, unmarkedOld]) expect(existsSync(dir), dir).toBe(false);
      for (const dir of [live.path, own.path, otherHost, unmarkedYoung, notARun]) {
        expect(existsSync(dir), dir).toBe(true);
      }
      expect(ownMarker).toMatchObject({ pid: process.pid, host: hostname(), runId: 'own' });
    } finally {
      await live.release();
      await rm(sweepRoot, { recursive: true, force: true });
    }
  });

  it('runs once, before the first run temp dir a process makes under a root', async () => {
    const sweepRoot = await mkdtemp(join(root, 'first-run-'));
    const live = await startTempDirHolder(sweepRoot, 'hold');
    const dead = await startTempDirHolder(sweepRoot, 'exit');
    try {
      expect(existsSync(dead.path)).toBe(true);
      const first = await createRunTempDir({ root: sweepRoot, runId: 'first' });
      expect(existsSync(dead.path)).toBe(false);
      expect(existsSync(live.path)).toBe(true);
      await first.cleanup();
    } finally {
      await live.release();
      await rm(sweepRoot, { recursive: true, force: true });
    }
  });

  it('sweeps once per run: a run temp dir made after sweepRunTempDirs does not sweep again', async () => {
    const sweepRoot = await mkdtemp(join(root, 'run-sweep-'));
    const before = await startTempDirHolder(sweepRoot, 'exit');
    try {
      expect(await sweepRunTempDirs({ root: sweepRoot })).toEqual([before.path]);
      // A run that died after this run's sweep is left for the next run's.
      const after = await startTempDirHolder(sweepRoot, 'exit');
      const dir = await createRunTempDir({ root: sweepRoot, runId: 'plan' });
      expect(existsSync(after.path)).toBe(true);
      await dir.cleanup();
      // The next run sweeps again.
      expect(await sweepRunTempDirs({ root: sweepRoot })).toEqual([after.path]);
    } finally {
      await rm(sweepRoot, { recursive: true, force: true });
    }
  });
});
