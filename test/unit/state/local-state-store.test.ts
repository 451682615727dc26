import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../../engine/state/local-state-store.js';
import { emptyPipelineState } from '../../../engine/state/pipeline-state.js';

const store = () => new LocalStateStore(mkdtempSync(join(tmpdir(), 'ferry-state-')));

describe('pipeline lock (I4)', () => {
  it('lets one writer in and tells the second who holds the lock', async () => {
    const s = store();
    const held = await s.acquireLock('p', { runId: 'run-1' });
    await expect(s.acquireLock('p', { runId: 'run-2' })).rejects.toMatchObject({
      code: 'LOCK_HELD',
      message: expect.stringContaining('run-1'),
    });
    await held.release();
    const next = await s.acquireLock('p', { runId: 'run-2' });
    await next.release();
  });

  it('takes over a lock only after it expired', async () => {
    const s = store();
    let clock = new Date('2026-01-01T00:00:00Z');
    const now = () => clock;
    await s.acquireLock('p', { runId: 'crashed', ttlMs: 60_000, heartbeatMs: 3_600_000, now });
    clock = new Date('2026-01-01T00:00:59Z');
    await expect(s.acquireLock('p', { runId: 'early', now })).rejects.toMatchObject({ code: 'LOCK_HELD' });
    clock = new Date('2026-01-01T00:01:01Z');
    const taken = await s.acquireLock('p', { runId: 'late', now });
    expect((await s.readLock('p'))?.runId).toBe('late');
    await taken.release();
  });

  it('takes over at once a lock whose process on this machine is gone, not one from another host', async () => {
    const s = store();
    // A process that has exited: its pid is free (ESRCH).
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    const lockFile = join(s.pipelineDir('p'), 'lock.json');
    const write = (host: string) => {
      mkdirSync(s.pipelineDir('p'), { recursive: true });
      writeFileSync(
        lockFile,
        JSON.stringify({
          owner: `${host}:${deadPid}:killed`,
          runId: 'killed',
          host,
          pid: deadPid,
          acquiredAt: '2026-01-01T00:00:00.000Z',
          expiresAt: '2999-01-01T00:00:00.000Z',
        }),
      );
    };
    write('another-host');
    await expect(s.acquireLock('p', { runId: 'next' })).rejects.toMatchObject({ code: 'LOCK_HELD' });
    write(hostname());
    const taken = await s.acquireLock('p', { runId: 'next' });
    expect((await s.readLock('p'))?.runId).toBe('next');
    await taken.release();
  });

  it('release does not remove a lock that another run took over', async () => {
    const s = store();
    let clock = new Date('2026-01-01T00:00:00Z');
    const now = () => clock;
    const stale = await s.acquireLock('p', { runId: 'slow', ttlMs: 1_000, heartbeatMs: 3_600_000, now });
    clock = new Date('2026-01-01T00:00:02Z');
    const fresh = await s.acquireLock('p', { runId: 'fresh', now });
    await stale.release();
    expect((await s.readLock('p'))?.runId).toBe('fresh');
    await fresh.release();
  });
});

describe('state commit (I3)', () => {
  it('replaces state.json atomically and keeps only the referenced snapshot', async () => {
    const s = store();
    const dir = s.pipelineDir('p');
    const snapshot = join(tmpdir(), `snap-${Date.now()}.parquet`);
    writeFileSync(snapshot, 'first');
    await s.commitPipelineState('p', { ...emptyPipelineState('p'), snapshot: { file: 'snapshot-a.parquet', rows: 1, key: null } }, { snapshotFrom: snapshot });
    writeFileSync(snapshot, 'second');
    await s.commitPipelineState('p', { ...emptyPipelineState('p'), snapshot: { file: 'snapshot-b.parquet', rows: 1, key: null } }, { snapshotFrom: snapshot });
    expect((await s.readPipelineState('p')).snapshot?.file).toBe('snapshot-b.parquet');
    expect(readFileSync(join(dir, 'snapshot-b.parquet'), 'utf8')).toBe('second');
    expect(() => readFileSync(join(dir, 'snapshot-a.parquet'))).toThrow();
  });

  it('refuses state written by another format version, with a hint', async () => {
    const s = store();
    await s.commitPipelineState('p', emptyPipelineState('p'));
    const path = join(s.pipelineDir('p'), 'state.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"formatVersion": 1', '"formatVersion": 9'));
    await expect(s.readPipelineState('p')).rejects.toMatchObject({ code: 'STATE_VERSION' });
  });
});
