/**
 * The state store over each backend (local directory, S3 on moto): locks, compare-and-swap commits,
 * damaged documents, dataset versions. What differs between them is said where it differs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPipelineState } from '../../../engine/state/pipeline-state.js';
import type { HeldLock, LockWait } from '../../../engine/state/state-lock.js';
import { startStateBackend, type BackendName, type StateBackend } from '../../harness/state-backends.js';

const newDir = () => mkdtempSync(join(tmpdir(), 'ferry-state-'));
const LOCK = 'pipelines/p/lock.json';
const codeOf = async (fn: () => Promise<void>): Promise<string> => {
  try {
    await fn();
    return 'none';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe.each<BackendName>(['local', 's3'])('state store (%s)', (backendName) => {
  let backend: StateBackend;
  beforeAll(async () => {
    backend = await startStateBackend(backendName);
  });
  afterAll(async () => {
    await backend?.stop();
  });
  const fixture = () => backend.create();
  const store = () => fixture().store;

  describe('pipeline lock (I4)', () => {
    it('lets one writer in and tells the second who holds the lock', async () => {
      const s = store();
      const held = await s.acquirePipelineLock('p', { runId: 'run-1' });
      await expect(s.acquirePipelineLock('p', { runId: 'run-2' })).rejects.toMatchObject({
        code: 'LOCK_HELD',
        message: expect.stringContaining('run-1'),
      });
      await held.release();
      const next = await s.acquirePipelineLock('p', { runId: 'run-2' });
      await next.release();
    });

    it('several runs acquiring at once: exactly one gets the lock, the others are told who has it', async () => {
      const s = store();
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((runId) => s.acquirePipelineLock('p', { runId })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const holder = await s.readPipelineLock('p');
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect(r.reason).toMatchObject({
          code: 'LOCK_HELD',
          context: { lockId: holder.kind === 'held' ? holder.info.runId : 'none' },
        });
      }
      await (won[0] as PromiseFulfilledResult<HeldLock>).value.release();
    });

    it('several runs taking over one expired lock at once: exactly one gets it', async () => {
      const s = store();
      let clock = new Date('2026-01-01T00:00:00Z');
      const now = () => clock;
      await s.acquirePipelineLock('p', { runId: 'crashed', ttlMs: 60_000, heartbeatMs: 3_600_000, now });
      clock = new Date('2026-01-01T00:05:00Z');
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((runId) => s.acquirePipelineLock('p', { runId, now, heartbeatMs: 3_600_000 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as { code: string });
      expect(refused.map((e) => e.code)).toEqual(['LOCK_HELD', 'LOCK_HELD']);
    });

    it('waits for a held lock (--lock-timeout), reporting each wait, and gets it once it is released', async () => {
      const s = store();
      const held = await s.acquirePipelineLock('p', { runId: 'first' });
      const waits: LockWait[] = [];
      const second = await s.acquirePipelineLock('p', {
        runId: 'second',
        waitMs: 600_000,
        // The holder finishes while the second run waits: a gate, not a race.
        onWait: (wait) => {
          waits.push(wait);
          if (waits.length === 1) void held.release();
        },
      });
      expect(waits[0]).toMatchObject({ label: 'Pipeline "p"', holder: expect.stringContaining('run first') });
      const status = await s.readPipelineLock('p');
      expect(status.kind === 'held' && status.info.runId).toBe('second');
      await second.release();
    });

    it('gives up waiting after --lock-timeout with LOCK_HELD, naming the holder and the wait', async () => {
      const s = store();
      const held = await s.acquirePipelineLock('p', { runId: 'first' });
      let waits = 0;
      await expect(
        // Long enough that the first attempt ends inside it on a loaded machine, so it waits at least once.
        s.acquirePipelineLock('p', { runId: 'second', waitMs: 3_000, onWait: () => (waits += 1) }),
      ).rejects.toMatchObject({
        code: 'LOCK_HELD',
        message: expect.stringMatching(/run first .*Waited \d+ s/),
      });
      expect(waits).toBeGreaterThan(0);
      await held.release();
    });

    it('takes over a lock only after it expired', async () => {
      const s = store();
      let clock = new Date('2026-01-01T00:00:00Z');
      const now = () => clock;
      await s.acquirePipelineLock('p', { runId: 'crashed', ttlMs: 60_000, heartbeatMs: 3_600_000, now });
      clock = new Date('2026-01-01T00:00:59Z');
      await expect(s.acquirePipelineLock('p', { runId: 'early', now })).rejects.toMatchObject({
        code: 'LOCK_HELD',
      });
      clock = new Date('2026-01-01T00:01:01Z');
      const taken = await s.acquirePipelineLock('p', { runId: 'late', now, heartbeatMs: 3_600_000 });
      const status = await s.readPipelineLock('p');
      expect(status.kind === 'held' && status.info.runId).toBe('late');
      await taken.release();
    });

    it('takes over at once a lock whose process on this machine is gone (local state only), never one from another host', async () => {
      const f = fixture();
      const s = f.store;
      // A process that has exited: its pid is free (ESRCH).
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      const deadPid = Number(child.stdout.toString());
      const write = (host: string) =>
        f.put(
          LOCK,
          JSON.stringify({
            owner: `${host}:${deadPid}:killed`,
            runId: 'killed',
            host,
            pid: deadPid,
            acquiredAt: '2026-01-01T00:00:00.000Z',
            expiresAt: '2999-01-01T00:00:00.000Z',
          }),
        );
      await write('another-host');
      await expect(s.acquirePipelineLock('p', { runId: 'next' })).rejects.toMatchObject({
        code: 'LOCK_HELD',
      });
      await write(hostname());
      if (backendName === 'local') {
        const taken = await s.acquirePipelineLock('p', { runId: 'next' });
        await taken.release();
      } else {
        // Shared state: another machine (a container) can have this host name and that pid number.
        await expect(s.acquirePipelineLock('p', { runId: 'next' })).rejects.toMatchObject({
          code: 'LOCK_HELD',
        });
        expect(s.lockHolderIsGone({ host: hostname(), pid: deadPid } as never)).toBe(false);
      }
    });

    it('release does not remove a lock another run took over, and the loser learns it lost the lock', async () => {
      const s = store();
      // The slow holder's clock stands still: its heartbeats keep writing the expiry it had (a holder
      // that hangs), so the other run finds its lock expired, whatever the speed of either.
      const then = () => new Date('2026-01-01T00:00:00Z');
      const stale = await s.acquirePipelineLock('p', {
        runId: 'slow',
        ttlMs: 1_000,
        heartbeatMs: 20,
        now: then,
      });
      const now = () => new Date('2026-01-01T00:00:02Z');
      const fresh = await s.acquirePipelineLock('p', {
        runId: 'fresh',
        ttlMs: 60_000,
        heartbeatMs: 3_600_000,
        now,
      });
      // Before its commit the slow holder checks, and learns it lost the lock.
      expect(await codeOf(() => stale.assertHeld())).toBe('LOCK_LOST');
      expect(await codeOf(() => fresh.assertHeld())).toBe('none');
      await stale.release();
      const status = await s.readPipelineLock('p');
      expect(status.kind === 'held' && status.info.runId).toBe('fresh');
      await fresh.release();
    });

    it('a damaged lock file is reported as damaged, and taken over once it is a TTL old', async () => {
      const f = fixture();
      const s = f.store;
      await f.put(LOCK, '');
      await expect(s.acquirePipelineLock('p', { runId: 'next' })).rejects.toMatchObject({
        code: 'LOCK_HELD',
        hint: expect.stringContaining('ferry state unlock'),
      });
      expect((await s.readPipelineLock('p')).kind).toBe('corrupt');
      const later = () => new Date(Date.now() + 11 * 60_000);
      const taken = await s.acquirePipelineLock('p', { runId: 'next', now: later, heartbeatMs: 3_600_000 });
      await taken.release();
      expect((await s.readPipelineLock('p')).kind).toBe('free');
    });
  });

  describe('state commit (I3)', () => {
    it('replaces state.json atomically and keeps only the referenced snapshot', async () => {
      const f = fixture();
      const s = f.store;
      const snapshot = join(newDir(), 'snap.parquet');
      writeFileSync(snapshot, 'first');
      await s.commitPipelineState(
        'p',
        { ...emptyPipelineState('p'), snapshot: { file: 'snapshot-a.parquet', rows: 1, key: null } },
        { expected: undefined, snapshotFrom: snapshot },
      );
      writeFileSync(snapshot, 'second');
      const read = await s.readPipelineState('p');
      await s.commitPipelineState(
        'p',
        { ...read.state, snapshot: { file: 'snapshot-b.parquet', rows: 1, key: null } },
        { expected: read.blobVersion, snapshotFrom: snapshot },
      );
      expect((await s.readPipelineState('p')).state.snapshot?.file).toBe('snapshot-b.parquet');
      expect((await f.get('pipelines/p/snapshot-b.parquet'))?.toString('utf8')).toBe('second');
      expect(await f.keys('pipelines/p/')).toEqual([
        'pipelines/p/snapshot-b.parquet',
        'pipelines/p/state.json',
      ]);
    });

    it('commits only against the state it read: a second writer gets STATE_CONFLICT and changes nothing', async () => {
      const f = fixture();
      const s = f.store;
      await s.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined });
      const first = await s.readPipelineState('p');
      const second = await s.readPipelineState('p');
      await s.commitPipelineState('p', { ...first.state, generation: 1 }, { expected: first.blobVersion });
      const before = await f.get('pipelines/p/state.json');
      await expect(
        s.commitPipelineState('p', { ...second.state, generation: 1 }, { expected: second.blobVersion }),
      ).rejects.toMatchObject({ code: 'STATE_CONFLICT', context: { pipeline: 'p' } });
      expect(await f.get('pipelines/p/state.json')).toEqual(before);
      // The first commit of a pipeline is a create: a second "first" commit conflicts too.
      await expect(
        s.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined }),
      ).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    });

    it('two writers at once on the same state: exactly one commit wins', async () => {
      const f = fixture();
      const s = f.store;
      await s.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined });
      const read = await s.readPipelineState('p');
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((n) =>
          s.commitPipelineState('p', { ...read.state, generation: n }, { expected: read.blobVersion }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect(r.reason).toMatchObject({ code: 'STATE_CONFLICT' });
      }
    });

    it('refuses state written by a newer format version', async () => {
      const f = fixture();
      const s = f.store;
      await s.commitPipelineState('p', emptyPipelineState('p'), { expected: undefined });
      const text = (await f.get('pipelines/p/state.json'))?.toString('utf8') ?? '';
      await f.put('pipelines/p/state.json', text.replace('"formatVersion": 2', '"formatVersion": 9'));
      await expect(s.readPipelineState('p')).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    });

    it.each([
      ['not JSON', '{"formatVersion": 2,'],
      [
        'processed is null',
        JSON.stringify({ formatVersion: 2, pipeline: 'p', generation: 1, processed: null, history: [] }),
      ],
      [
        'a processed entry without an etag',
        JSON.stringify({
          formatVersion: 2,
          pipeline: 'p',
          processed: [{ key: 'a', size: 1, lastModified: 'x' }],
          history: [],
        }),
      ],
      [
        'a snapshot file name that leaves the directory',
        JSON.stringify({
          formatVersion: 2,
          pipeline: 'p',
          processed: [],
          history: [],
          snapshot: { file: '../x.parquet', rows: 1 },
        }),
      ],
    ])('a damaged state.json (%s) is a coded error naming the file', async (_what, text) => {
      const f = fixture();
      await f.put('pipelines/p/state.json', text);
      await expect(f.store.readPipelineState('p')).rejects.toMatchObject({
        code: 'STATE_CORRUPT',
        message: expect.stringContaining(f.where('pipelines/p/state.json')),
        hint: expect.stringContaining('backup'),
      });
    });

    it('reads version 1 state and upgrades it in memory', async () => {
      const f = fixture();
      await f.put(
        'pipelines/p/state.json',
        JSON.stringify({ formatVersion: 1, pipeline: 'p', processed: [], history: [] }),
      );
      const { state } = await f.store.readPipelineState('p');
      expect(state).toMatchObject({ formatVersion: 2, generation: 0 });
    });

    it('a damaged journal is a coded error that says what it holds', async () => {
      const f = fixture();
      await f.put('pipelines/p/journal.json', '{"runId": 3}');
      await expect(f.store.readJournal('p')).rejects.toMatchObject({
        code: 'STATE_CORRUPT',
        hint: expect.stringContaining('outputs'),
      });
    });
  });

  describe('dataset versions (immutable, checked on read)', () => {
    const MANIFEST = 'datasets/accounts/manifest.json';
    async function commitTwo() {
      const f = fixture();
      const s = f.store;
      const file = join(newDir(), 'v.parquet');
      writeFileSync(file, 'version one');
      let manifest = await s.datasets.readManifest('accounts');
      manifest = await s.datasets.commitVersion(manifest, {
        from: file,
        rows: 1,
        version: 1,
        pipeline: 'p',
        runId: 'r1',
        attemptId: 'a1',
        keepVersions: 5,
      });
      writeFileSync(file, 'version two');
      manifest = await s.datasets.commitVersion(manifest, {
        from: file,
        rows: 2,
        version: 2,
        pipeline: 'p',
        runId: 'r2',
        attemptId: 'a2',
        keepVersions: 5,
      });
      return { f, s, manifest };
    }

    it('stores each version under a name of its own with its rows and hash', async () => {
      const { manifest } = await commitTwo();
      expect(manifest.versions.map((v) => [v.version, v.file, v.rows])).toEqual([
        [1, 'v000001-a1.parquet', 1],
        [2, 'v000002-a2.parquet', 2],
      ]);
      expect(manifest.versions[1]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses a version file that was swapped for other bytes', async () => {
      const { f, s } = await commitTwo();
      await f.put('datasets/accounts/v000002-a2.parquet', 'three of fifteen rows');
      const manifest = await s.datasets.readManifest('accounts');
      await expect(s.datasets.fetchVersion(manifest, join(newDir(), 'x'))).rejects.toMatchObject({
        code: 'DATASET_VERSION_CORRUPT',
      });
    });

    it('a deleted version file is DATASET_VERSION_MISSING, with the way out', async () => {
      const { f, s } = await commitTwo();
      await f.remove('datasets/accounts/v000002-a2.parquet');
      const manifest = await s.datasets.readManifest('accounts');
      await expect(s.datasets.fetchVersion(manifest, join(newDir(), 'x'))).rejects.toMatchObject({
        code: 'DATASET_VERSION_MISSING',
        hint: expect.stringContaining('ferry state rollback accounts'),
      });
    });

    it('a missing manifest beside version files is an error, never a restart at version 1', async () => {
      const { f, s } = await commitTwo();
      await f.remove(MANIFEST);
      await expect(s.datasets.readManifest('accounts')).rejects.toMatchObject({
        code: 'DATASET_MANIFEST_MISSING',
        hint: expect.stringContaining('ferry state repair accounts'),
      });
    });

    it('repair rebuilds the manifest from the version files; the newest is current', async () => {
      const { f, s } = await commitTwo();
      await f.remove(MANIFEST);
      const rebuilt = await s.datasets.repair('accounts', {
        scratchPath: join(newDir(), 'scratch'),
        countRows: () => Promise.resolve(7),
      });
      expect(rebuilt.current).toBe(2);
      expect((await s.datasets.readManifest('accounts')).versions.map((v) => v.file)).toEqual([
        'v000001-a1.parquet',
        'v000002-a2.parquet',
      ]);
    });

    it('a manifest commit conflicts when another run committed since it was read', async () => {
      const s = store();
      const file = join(newDir(), 'v.parquet');
      writeFileSync(file, 'x');
      const read = await s.datasets.readManifest('accounts');
      const input = { from: file, rows: 1, version: 1, keepVersions: 5 };
      await s.datasets.commitVersion(read, { ...input, pipeline: 'p', runId: 'r1', attemptId: 'a1' });
      await expect(
        s.datasets.commitVersion(read, { ...input, pipeline: 'q', runId: 'r2', attemptId: 'a2' }),
      ).rejects.toMatchObject({ code: 'STATE_CONFLICT', context: { dataset: 'accounts' } });
      expect((await s.datasets.readManifest('accounts')).versions.map((v) => v.runId)).toEqual(['r1']);
    });
  });
});
