/**
 * File selection end to end against a real listing: newest, all-new with max_files, sequences with
 * gaps, overdue and late files, processed files on a second apply, and files replaced under the same
 * key. Selection skips are reported with a reason, never silent (I1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture, type TestProject } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

/** Skipped files with their reasons, by key. */
function skipped(plan: { selection: { skipped: Array<{ key: string; reason: string }> } }) {
  return plan.selection.skipped
    .map(({ key, reason }) => ({ key, reason }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}
function selected(plan: { selection: { selected: Array<{ key: string }> } }) {
  return plan.selection.selected.map((c) => c.key);
}
async function outputKeys(project: TestProject) {
  return (await project.list()).map((o) => o.key);
}

describe('pick: newest', () => {
  it('takes only the newest snapshot, by the timestamp in its name', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: {
        prefix: 'acme/',
        match: '^accounts_(?P<timestamp>\\d{8})\\.csv$',
        timestamp_format: 'YYYYMMDD',
        pick: 'newest',
        order: 'timestamp',
        format: { kind: 'csv' },
      },
      sink: { filename: '{{source_stem}}', format: 'csv' },
    });
    // Uploaded newest first, so neither key order nor upload order equals timestamp order by accident.
    await project.put('acme/accounts_20240502.csv', 'id\n2\n');
    await project.put('acme/accounts_20240501.csv', 'id\n1\n');
    await project.put('acme/readme.txt', 'not a match');
    const plan = await project.run('apply', { now: at('2024-05-02T12:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(selected(plan)).toEqual(['acme/accounts_20240502.csv']);
    expect(skipped(plan)).toEqual([{ key: 'acme/accounts_20240501.csv', reason: 'not-newest' }]);
    expect(plan.counts).toMatchObject({ filesMatched: 2, filesNew: 1, filesSkipped: 1, rowsWritten: 1 });
    expect(await outputKeys(project)).toEqual(['accounts_20240502.csv']);

    // Second apply: the newest is processed; nothing to do, nothing written.
    const again = await project.run('apply', { now: at('2024-05-02T13:00:00Z') });
    expect(again.error).toBeUndefined();
    expect(selected(again)).toEqual([]);
    expect(skipped(again)).toEqual([
      { key: 'acme/accounts_20240501.csv', reason: 'not-newest' },
      { key: 'acme/accounts_20240502.csv', reason: 'already-processed' },
    ]);
    expect(again.counts.objectsWritten).toBe(0);
    expect(await outputKeys(project)).toEqual(['accounts_20240502.csv']);
  });
});

describe('pick: all-new', () => {
  it('takes every new file oldest first, max_files per run, the rest on the next run', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', pick: 'all-new', max_files: 2, format: { kind: 'csv' } },
      sink: { filename: 'batch-{{timestamp}}', timestamp_format: 'DD', format: 'csv' },
    });
    for (const name of ['c', 'a', 'b']) await project.put(`in/${name}.csv`, `id\n${name}\n`);
    const first = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(first.error).toBeUndefined();
    expect(selected(first)).toEqual(['in/a.csv', 'in/b.csv']);
    expect(skipped(first)).toEqual([{ key: 'in/c.csv', reason: 'over-max-files' }]);
    expect(first.counts).toMatchObject({ filesMatched: 3, filesNew: 2, filesSkipped: 1, rowsWritten: 2 });

    const second = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(selected(second)).toEqual(['in/c.csv']);
    expect(skipped(second)).toEqual([
      { key: 'in/a.csv', reason: 'already-processed' },
      { key: 'in/b.csv', reason: 'already-processed' },
    ]);

    const third = await project.run('apply', { now: at('2024-05-03T00:00:00Z') });
    expect(selected(third)).toEqual([]);
    expect(third.status).toBe('no-changes');
    expect(await outputKeys(project)).toEqual(['batch-01.csv', 'batch-02.csv']);
    expect((await project.get('batch-01.csv')).toString()).toBe('id\na\nb\n');
    expect((await project.get('batch-02.csv')).toString()).toBe('id\nc\n');
  });

  it('on_changed reprocess: a file re-uploaded with new content is loaded again', async () => {
    const project = await changedProject('reprocess');
    await project.put('in/a.csv', 'id\n1\n');
    expect((await project.run('apply', { now: at('2024-05-01T00:00:00Z') })).error).toBeUndefined();
    await project.put('in/a.csv', 'id\n1\n2\n');
    const plan = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(selected(plan)).toEqual(['in/a.csv']);
    expect(plan.selection.changed).toEqual(['in/a.csv']);
    expect(plan.warnings.map((w) => w.code)).toEqual(['SOURCE_FILE_CHANGED']);
    expect(await outputKeys(project)).toEqual(['a-01.csv', 'a-02.csv']);
    expect((await project.get('a-02.csv')).toString()).toBe('id\n1\n2\n');
    // The new version is now the processed one.
    expect(selected(await project.run('plan', { now: at('2024-05-03T00:00:00Z') }))).toEqual([]);
  });

  it('on_changed skip: the replaced file is skipped with a reason and a warning', async () => {
    const project = await changedProject('skip');
    await project.put('in/a.csv', 'id\n1\n');
    expect((await project.run('apply', { now: at('2024-05-01T00:00:00Z') })).error).toBeUndefined();
    await project.put('in/a.csv', 'id\n1\n2\n');
    const plan = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(selected(plan)).toEqual([]);
    expect(skipped(plan)).toEqual([{ key: 'in/a.csv', reason: 'changed-skipped' }]);
    expect(plan.warnings.map((w) => w.code)).toEqual(['SOURCE_FILE_CHANGED']);
    expect(await outputKeys(project)).toEqual(['a-01.csv']);
  });

  it('on_changed fail: the run fails, names the file, and commits nothing', async () => {
    const project = await changedProject('fail');
    await project.put('in/a.csv', 'id\n1\n');
    expect((await project.run('apply', { now: at('2024-05-01T00:00:00Z') })).error).toBeUndefined();
    const state = await project.readState('p');
    await project.put('in/a.csv', 'id\n1\n2\n');
    const plan = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(plan.status).toBe('error');
    expect(plan.error?.code).toBe('SOURCE_FILE_CHANGED');
    expect(plan.error?.message).toContain('in/a.csv');
    expect(await outputKeys(project)).toEqual(['a-01.csv']);
    expect(await project.readState('p')).toEqual(state);
  });
});

async function changedProject(onChanged: 'reprocess' | 'skip' | 'fail') {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', on_changed: onChanged, format: { kind: 'csv' } },
    sink: { filename: '{{source_stem}}-{{timestamp}}', timestamp_format: 'DD', format: 'csv' },
  });
  return project;
}

describe('pick: sequence', () => {
  const source = {
    prefix: 'seq/',
    match: '^activity_(?P<timestamp>\\d{14})\\.json$',
    timestamp_format: 'YYYYMMDDHHmmss',
    pick: 'sequence',
    sequence: { expect_every: '24h', grace: '1h' },
    format: { kind: 'json', layout: 'ndjson' },
  };

  it('walks files in timestamp order: gap and overdue warnings, late files skipped before the cursor', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source,
      sink: { filename: 'activity-{{timestamp}}', timestamp_format: 'YYYYMMDD', format: 'ndjson' },
    });
    await project.put('seq/activity_20240501000000.json', '{"n":"1"}\n');
    await project.put('seq/activity_20240502000000.json', '{"n":"2"}\n');
    // 05-03 is missing (a gap before 05-04); `now` is two days after the newest (overdue).
    await project.put('seq/activity_20240504000000.json', '{"n":"4"}\n');
    const now = at('2024-05-06T00:00:00Z');
    const plan = await project.run('apply', { now });
    expect(plan.error).toBeUndefined();
    expect(selected(plan)).toEqual([
      'seq/activity_20240501000000.json',
      'seq/activity_20240502000000.json',
      'seq/activity_20240504000000.json',
    ]);
    expect(plan.warnings.map((w) => w.code)).toEqual(['SEQUENCE_GAP', 'SEQUENCE_OVERDUE']);
    expect(plan.selection.warnings.find((w) => w.code === 'SEQUENCE_GAP')?.key).toBe(
      'seq/activity_20240504000000.json',
    );
    expect((await project.get('activity-20240506.ndjson')).toString()).toBe(
      '{"n":"1"}\n{"n":"2"}\n{"n":"4"}\n',
    );
    expect((await project.readState('p'))?.['sequenceCursor']).toEqual({
      key: 'seq/activity_20240504000000.json',
      timestamp: '2024-05-04T00:00:00.000Z',
    });

    // 05-03 arrives late: it is before the cursor, so it is skipped with a reason (never silently).
    await project.put('seq/activity_20240503000000.json', '{"n":"3"}\n');
    const late = await project.run('apply', { now: at('2024-05-04T12:00:00Z') });
    expect(late.error).toBeUndefined();
    expect(selected(late)).toEqual([]);
    expect(skipped(late)).toContainEqual({
      key: 'seq/activity_20240503000000.json',
      reason: 'before-cursor',
    });
    expect(late.warnings.map((w) => w.code)).toEqual(['SEQUENCE_LATE_FILE']);
    expect(late.counts.objectsWritten).toBe(0);
    expect(await outputKeys(project)).toEqual(['activity-20240506.ndjson']);
  });

  it('is not overdue while the next file is within expect_every + grace', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source,
      sink: { filename: 'activity-{{timestamp}}', timestamp_format: 'YYYYMMDD', format: 'ndjson' },
    });
    await project.put('seq/activity_20240501000000.json', '{"n":"1"}\n');
    const plan = await project.run('plan', { now: at('2024-05-02T00:59:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.warnings).toEqual([]);
    const overdue = await project.run('plan', { now: at('2024-05-02T01:01:00Z') });
    expect(overdue.warnings.map((w) => w.code)).toEqual(['SEQUENCE_OVERDUE']);
  });
});
