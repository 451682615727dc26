/**
 * Diff end to end across two daily snapshots: added / changed / removed / unchanged counts, only
 * added and changed rows published (plus tombstones when asked), whole-row diff without a key, and
 * the snapshot committed by apply only — a plan leaves state as it was.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import type { PipelinePlan } from '../../../engine/plan/plan-model.js';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const DAY1 = 'id,name,plan\n1,Ada,pro\n2,Bob,free\n3,Cy,free\n';
// 1 unchanged, 2 changed, 3 removed, 4 added.
const DAY2 = 'id,name,plan\n1,Ada,pro\n2,Bob,pro\n4,Di,free\n';

async function snapshotProject(
  diff: boolean | Record<string, unknown>,
  options: { mapping?: Record<string, unknown>; maxRejects?: string } = {},
) {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: {
      prefix: 'in/',
      match: '^accounts_(?P<timestamp>\\d{8})\\.csv$',
      timestamp_format: 'YYYYMMDD',
      pick: 'newest',
      format: { kind: 'csv', ...(options.maxRejects ? { max_rejects: options.maxRejects } : {}) },
    },
    ...(options.mapping ? { mapping: options.mapping } : {}),
    diff,
    sink: {
      directory: 'out/',
      filename: 'changed-{{timestamp}}',
      timestamp_format: 'YYYYMMDD',
      format: 'csv',
    },
  });
  return project;
}

const day1 = at('2024-05-01T06:00:00Z');
const day2 = at('2024-05-02T06:00:00Z');

/** Day 2 with tombstones: one row of each class, the removed key last, flagged. */
async function expectTombstonedDay2(project: TestProject, second: PipelinePlan): Promise<void> {
  expect(second.counts).toMatchObject({
    rowsAdded: 1,
    rowsChanged: 1,
    rowsRemoved: 1,
    rowsUnchanged: 1,
    rowsWritten: 3,
  });
  expect((await project.get('out/changed-20240502.csv')).toString()).toBe(
    'id,name,plan,_deleted\n2,Bob,pro,false\n4,Di,free,false\n3,,,true\n',
  );
}

describe('diff with a key', () => {
  it('publishes added and changed rows only, counts every class, commits the snapshot on apply', async () => {
    const project = await snapshotProject({ key: ['id'] });
    await project.put('in/accounts_20240501.csv', DAY1);

    // Plan first: the counts are there, but nothing is committed.
    const planned = await project.run('plan', { now: day1 });
    expect(planned.error).toBeUndefined();
    expect(planned.counts).toEqual({
      ...emptyCounts(),
      filesMatched: 1,
      filesNew: 1,
      rowsRead: 3,
      rowsAdded: 3,
      rowsWritten: 3,
    });
    expect(await project.hashState()).toEqual({});
    expect(await project.list()).toEqual([]);

    const first = await project.run('apply', { now: day1 });
    expect(first.counts).toEqual({ ...planned.counts, objectsWritten: 1 });
    const state1 = await project.readState('p');
    expect(state1?.['snapshot']).toMatchObject({ rows: 3, key: ['id'] });

    await project.put('in/accounts_20240502.csv', DAY2);
    const hashBeforePlan = await project.hashState();
    const planned2 = await project.run('plan', { now: day2 });
    const expected2 = {
      ...emptyCounts(),
      filesMatched: 2,
      filesNew: 1,
      filesSkipped: 1,
      rowsRead: 3,
      rowsAdded: 1,
      rowsChanged: 1,
      rowsRemoved: 1,
      rowsUnchanged: 1,
      rowsWritten: 2,
    };
    expect(planned2.counts).toEqual(expected2);
    // The plan compared against the committed snapshot and left it alone.
    expect(await project.hashState()).toEqual(hashBeforePlan);

    const second = await project.run('apply', { now: day2 });
    expect(second.counts).toEqual({ ...expected2, objectsWritten: 1 });
    expect((await project.list()).map((o) => o.key)).toEqual([
      'out/changed-20240501.csv',
      'out/changed-20240502.csv',
    ]);
    expect((await project.get('out/changed-20240501.csv')).toString()).toBe(DAY1);
    expect((await project.get('out/changed-20240502.csv')).toString()).toBe(
      'id,name,plan\n2,Bob,pro\n4,Di,free\n',
    );
    const state2 = await project.readState('p');
    expect(state2?.['snapshot']).toMatchObject({ rows: 3, key: ['id'] });
    expect((state2?.['snapshot'] as { file: string }).file).not.toBe(
      (state1?.['snapshot'] as { file: string }).file,
    );
    // Exactly one snapshot file is kept, the one state.json names.
    const snapshots = Object.keys(await project.hashState()).filter((k) => k.includes('snapshot-'));
    expect(snapshots).toEqual([`pipelines/p/${(state2?.['snapshot'] as { file: string }).file}`]);
  });

  it('emits tombstones for removed keys in the flag column', async () => {
    const project = await snapshotProject({ key: ['id'], tombstones: { column: '_deleted' } });
    await project.put('in/accounts_20240501.csv', DAY1);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    expect((await project.get('out/changed-20240501.csv')).toString()).toBe(
      'id,name,plan,_deleted\n1,Ada,pro,false\n2,Bob,free,false\n3,Cy,free,false\n',
    );
    await project.put('in/accounts_20240502.csv', DAY2);
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    await expectTombstonedDay2(project, second);
  });
});

describe('diff of a run past the database-file threshold', () => {
  it('joins by digests, with the same rows, counts and tombstones', async () => {
    const project = await snapshotProject({ key: ['id'], tombstones: { column: '_deleted' } });
    // limits.memory of 8 bytes: every file here is over four times that (choose-duckdb-storage.ts), so
    // the run takes a database file and the digest join; DuckDB itself keeps 256MB.
    const ferryYaml = join(project.dir, 'ferry.yaml');
    await writeFile(ferryYaml, `${await readFile(ferryYaml, 'utf8')}limits:\n  memory: 8\n`);
    const large = { pipelineOptions: { memoryLimit: '256MB' } };
    await project.put('in/accounts_20240501.csv', DAY1);
    expect((await project.run('apply', { now: day1, ...large })).error).toBeUndefined();
    await project.put('in/accounts_20240502.csv', DAY2);
    const second = await project.run('apply', { now: day2, ...large });
    expect(second.error).toBeUndefined();
    expect(second.sql.map((s) => s.sql).filter((s) => s.includes('md5_number'))).toEqual([
      expect.stringMatching(/^CREATE TABLE diff_picked AS /),
      expect.stringMatching(/^CREATE TABLE gone AS /),
    ]);
    await expectTombstonedDay2(project, second);
  });
});

describe('diff without a key', () => {
  it('compares whole rows: a changed row reads as one added and one removed', async () => {
    const project = await snapshotProject(true);
    await project.put('in/accounts_20240501.csv', DAY1);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    await project.put('in/accounts_20240502.csv', DAY2);
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({
      rowsRead: 3,
      rowsAdded: 2,
      rowsChanged: 0,
      rowsRemoved: 2,
      rowsUnchanged: 1,
      rowsWritten: 2,
    });
    expect((await project.get('out/changed-20240502.csv')).toString()).toBe(
      'id,name,plan\n2,Bob,pro\n4,Di,free\n',
    );
    expect((await project.readState('p'))?.['snapshot']).toMatchObject({ rows: 3, key: null });
  });

  it('a second apply of the same snapshot publishes nothing', async () => {
    const project = await snapshotProject(true);
    await project.put('in/accounts_20240501.csv', DAY1);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    // The same content under a new name: every row is unchanged.
    await project.put('in/accounts_20240502.csv', DAY1);
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({ rowsUnchanged: 3, rowsWritten: 0, objectsWritten: 0 });
    expect(second.outputs).toEqual([]);
    expect((await project.list()).map((o) => o.key)).toEqual(['out/changed-20240501.csv']);
  });
});

describe('diff with duplicate keys', () => {
  it('keeps the last row per key, on the first run and against a snapshot, in source order', async () => {
    const project = await snapshotProject({ key: ['id'] });
    // Day 1: id 1 twice, the later row wins; every row is new (no previous snapshot).
    await project.put(
      'in/accounts_20240501.csv',
      'id,name,plan\n1,Ada,free\n2,Bob,free\n1,Ada,pro\n3,Cy,free\n',
    );
    const first = await project.run('apply', { now: day1 });
    expect(first.error).toBeUndefined();
    expect(first.warnings.map((w) => w.code)).toContain('DIFF_DUPLICATE_KEY');
    expect(first.counts).toMatchObject({ rowsAdded: 3, rowsWritten: 3 });
    expect((await project.get('out/changed-20240501.csv')).toString()).toBe(
      'id,name,plan\n2,Bob,free\n1,Ada,pro\n3,Cy,free\n',
    );
    // Day 2: id 2 twice (changed by its later row), id 1 unchanged, id 3 removed, id 4 added.
    await project.put(
      'in/accounts_20240502.csv',
      'id,name,plan\n2,Bob,team\n1,Ada,pro\n4,Di,free\n2,Bob,pro\n',
    );
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({ rowsAdded: 1, rowsChanged: 1, rowsUnchanged: 1, rowsRemoved: 1 });
    expect((await project.get('out/changed-20240502.csv')).toString()).toBe(
      'id,name,plan\n4,Di,free\n2,Bob,pro\n',
    );
  });
});

const day3 = at('2024-05-03T06:00:00Z');
const TOMBSTONES = { key: ['id'], tombstones: { column: '_deleted' } };

describe('diff with rejected rows', () => {
  const SCORES = 'id,score\n1,10\n2,20\n3,30\n';

  it('a rejected row whose key reads is not removed, and keeps its previous snapshot entry', async () => {
    const project = await snapshotProject(TOMBSTONES, {
      mapping: { cast: { id: 'INTEGER', score: 'INTEGER' } },
      maxRejects: '50%',
    });
    await project.put('in/accounts_20240501.csv', SCORES);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    // 3's score does not fit INTEGER: its row is rejected, but id 3 is still in the file.
    await project.put('in/accounts_20240502.csv', 'id,score\n1,10\n2,21\n3,99999999999\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({
      rowsRejected: 1,
      rowsChanged: 1,
      rowsUnchanged: 1,
      rowsRemoved: 0,
    });
    expect(second.warnings.map((w) => w.code)).not.toContain('DIFF_REMOVALS_HELD');
    expect((await project.get('out/changed-20240502.csv')).toString()).toBe(
      'id,score,_deleted\n2,21,false\n',
    );
    expect((await project.readState('p'))?.['snapshot']).toMatchObject({ rows: 3 });
    // A clean run: 3 compares with its day-1 entry (unchanged), 2 is gone and is removed now.
    await project.put('in/accounts_20240503.csv', 'id,score\n1,10\n3,30\n');
    const third = await project.run('apply', { now: day3 });
    expect(third.error).toBeUndefined();
    expect(third.counts).toMatchObject({ rowsUnchanged: 2, rowsRemoved: 1, rowsAdded: 0, rowsChanged: 0 });
    expect((await project.get('out/changed-20240503.csv')).toString()).toBe('id,score,_deleted\n2,,true\n');
  });

  it('a rejected row whose key does not read holds every removal for the run, with a warning', async () => {
    const project = await snapshotProject(TOMBSTONES, {
      mapping: { cast: { id: 'INTEGER' } },
      maxRejects: '50%',
    });
    await project.put('in/accounts_20240501.csv', SCORES);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    // "x2" is no INTEGER: which key the row has is unknown, so neither 2 nor 3 is known to be gone.
    await project.put('in/accounts_20240502.csv', 'id,score\n1,10\nx2,20\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({
      rowsRejected: 1,
      rowsUnchanged: 1,
      rowsRemoved: 0,
      rowsWritten: 0,
    });
    expect(second.warnings.map((w) => w.code)).toContain('DIFF_REMOVALS_HELD');
    expect((await project.readState('p'))?.['snapshot']).toMatchObject({ rows: 3 });
    // The next clean run catches up: 2 is back unchanged (its held entry), 3 is removed.
    await project.put('in/accounts_20240503.csv', 'id,score\n1,10\n2,20\n');
    const third = await project.run('apply', { now: day3 });
    expect(third.error).toBeUndefined();
    expect(third.warnings.map((w) => w.code)).not.toContain('DIFF_REMOVALS_HELD');
    expect(third.counts).toMatchObject({ rowsUnchanged: 2, rowsRemoved: 1, rowsWritten: 1 });
    expect((await project.get('out/changed-20240503.csv')).toString()).toBe('id,score,_deleted\n3,,true\n');
  });

  it('rows rejected before the mapping (a schema type change) hold removals too', async () => {
    const project = await snapshotProject(TOMBSTONES, { maxRejects: '50%' });
    await project.put('in/accounts_20240501.csv', SCORES);
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    await project.put('in/accounts_20240502.csv', 'id,score\n1,10\n2,abc\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.counts).toMatchObject({ rowsRejected: 1, rowsRemoved: 0 });
    expect(second.warnings.map((w) => w.code)).toContain('DIFF_REMOVALS_HELD');
    expect((await project.get('out/changed-20240502.csv')).toString()).not.toContain('true');
  });
});

describe('diff with empty keys', () => {
  it('rejects a row whose key is empty, with its line; such rows hold no removal', async () => {
    const project = await snapshotProject(TOMBSTONES, { maxRejects: '50%' });
    await project.put('in/accounts_20240501.csv', 'id,score\n1,10\n2,20\n,40\n,41\n');
    const first = await project.run('apply', { now: day1 });
    expect(first.error).toBeUndefined();
    expect(first.warnings.map((w) => w.code)).not.toContain('DIFF_DUPLICATE_KEY');
    expect(first.rejects.map((r) => [r.line, r.reason])).toEqual([
      [4, 'key column "id" is empty (diff key)'],
      [5, 'key column "id" is empty (diff key)'],
    ]);
    expect(first.counts).toMatchObject({ rowsRejected: 2, rowsAdded: 2 });
    expect((await project.get('out/changed-20240501.csv')).toString()).toBe(
      'id,score,_deleted\n1,10,false\n2,20,false\n',
    );
    await project.put('in/accounts_20240502.csv', 'id,score\n1,10\n,40\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.warnings.map((w) => w.code)).not.toContain('DIFF_REMOVALS_HELD');
    expect(second.counts).toMatchObject({ rowsRejected: 1, rowsUnchanged: 1, rowsRemoved: 1 });
    expect((await project.get('out/changed-20240502.csv')).toString()).toBe('id,score,_deleted\n2,,true\n');
  });

  it('reads a computed key column by its expression', async () => {
    const project = await snapshotProject(
      { key: ['k'] },
      { mapping: { compute: { k: "nullif(id, '-')" } }, maxRejects: '50%' },
    );
    await project.put('in/accounts_20240501.csv', 'id,score\n1,10\n-,20\n');
    const first = await project.run('apply', { now: day1 });
    expect(first.error).toBeUndefined();
    expect(first.rejects.map((r) => [r.line, r.reason])).toEqual([[3, 'key column "k" is empty (diff key)']]);
    expect((await project.get('out/changed-20240501.csv')).toString()).toBe('id,score,k\n1,10,1\n');
  });
});

describe('tombstones keep the key columns types', () => {
  async function jsonProject() {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { pick: 'newest', format: { kind: 'json', layout: 'ndjson' } },
      diff: TOMBSTONES,
      sink: { filename: 'out-{{timestamp}}', format: 'ndjson' },
    });
    return project;
  }
  const lastOutput = async (project: TestProject) =>
    (await project.get((await project.list()).at(-1)?.key ?? '')).toString();

  it('a numeric key stays a number, on the first run and in a tombstone', async () => {
    const project = await jsonProject();
    await project.put('g1.ndjson', '{"id":1,"n":2}\n{"id":20,"n":3}\n');
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    expect(await lastOutput(project)).toBe(
      '{"id":1,"n":2,"_deleted":false}\n{"id":20,"n":3,"_deleted":false}\n',
    );
    await project.put('g2.ndjson', '{"id":1,"n":5}\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.warnings.map((w) => w.code)).not.toContain('DIFF_TOMBSTONE_KEY_AS_TEXT');
    expect(await lastOutput(project)).toBe(
      '{"id":1,"n":5,"_deleted":false}\n{"id":20,"n":null,"_deleted":true}\n',
    );
  });

  it('a removed key that no longer reads as the key type keeps the column as text, with a warning', async () => {
    const project = await jsonProject();
    await project.put('g1.ndjson', '{"id":"a","n":2}\n{"id":"7","n":3}\n');
    expect((await project.run('apply', { now: day1 })).error).toBeUndefined();
    await project.put('g2.ndjson', '{"id":7,"n":3}\n');
    const second = await project.run('apply', { now: day2 });
    expect(second.error).toBeUndefined();
    expect(second.warnings.map((w) => w.code)).toContain('DIFF_TOMBSTONE_KEY_AS_TEXT');
    // 7 reads as changed (the row hash covers typed values), and is text like the tombstone's key.
    expect(await lastOutput(project)).toBe(
      '{"id":"7","n":3,"_deleted":false}\n{"id":"a","n":null,"_deleted":true}\n',
    );
  });
});
