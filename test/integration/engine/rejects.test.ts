/**
 * Ragged files end to end (RELIABILITY.md I8 and I3): every data record is either written or
 * rejected with its file, line and reason; over the max_rejects budget the file fails the run,
 * nothing is published and the committed state stays byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

// Records 3 and 5 are short, record 4 is long; the header is line 1.
const RAGGED = 'id,name\n1,Ada\n2\n3,Cy,extra\n4\n5,Ed\n6,Flo\n';

async function raggedProject(maxRejects: number) {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: { prefix: 'in/', format: { kind: 'csv', max_rejects: maxRejects } },
    sink: { directory: 'out/', filename: '{{source_stem}}-{{timestamp}}', format: 'csv' },
  });
  return project;
}

describe('ragged CSV', () => {
  it('rejects short and long rows with file, line and reason; rows read = written + rejected', async () => {
    const project = await raggedProject(3);
    await project.put('in/people.csv', RAGGED);
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual({
      ...emptyCounts(),
      filesMatched: 1,
      filesNew: 1,
      rowsRead: 6,
      rowsRejected: 3,
      rowsWritten: 3,
      objectsWritten: 1,
    });
    expect(plan.counts.rowsRead).toBe(plan.counts.rowsWritten + plan.counts.rowsRejected);
    expect(plan.rejects.map(({ file, line }) => ({ file, line }))).toEqual([
      { file: 'in/people.csv', line: 3 },
      { file: 'in/people.csv', line: 4 },
      { file: 'in/people.csv', line: 5 },
    ]);
    for (const reject of plan.rejects) expect(reject.reason).not.toBe('');
    expect((await project.list()).map((o) => o.key)).toEqual(['out/people-20240501000000.csv']);
    // Nothing silently lost: the good rows, in file order, and only those.
    expect((await project.get('out/people-20240501000000.csv')).toString()).toBe(
      'id,name\n1,Ada\n5,Ed\n6,Flo\n',
    );
  });

  it('over max_rejects: CSV_REJECTS_OVER_LIMIT, nothing written, state byte-identical', async () => {
    const project = await raggedProject(2);
    const first = at('2024-05-01T00:00:00Z');
    await project.put('in/a.csv', 'id,name\n1,Ada\n');
    const ok = await project.run('apply', { now: first });
    expect(ok.error).toBeUndefined();
    const outputsBefore = await project.list();
    expect(outputsBefore.map((o) => o.key)).toEqual(['out/a-20240501000000.csv']);
    const before = await project.hashState();
    expect(Object.keys(before)).toContain('pipelines/p/state.json');

    await project.put('in/b.csv', RAGGED);
    const failed = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(failed.status).toBe('error');
    expect(failed.error?.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(failed.error?.message).toContain('in/b.csv');
    expect(await project.list()).toEqual(outputsBefore);
    const after = await project.hashState();
    // The only new files are the failed run's report and its rejected rows in runs/ (logs, not
    // state); nothing else moved.
    const added = Object.keys(after).filter((k) => !(k in before));
    expect(added.sort()).toEqual([
      expect.stringMatching(/^pipelines\/p\/runs\/20240502T000000Z-[0-9a-f]{8}\.json$/),
      expect.stringMatching(/^pipelines\/p\/runs\/20240502T000000Z-[0-9a-f]{8}\.rejected\.csv$/),
    ]);
    for (const [path, hash] of Object.entries(before)) expect(after[path], path).toBe(hash);

    // A plan shows the same failure and changes nothing either.
    const planned = await project.run('plan', { now: at('2024-05-02T00:00:00Z') });
    expect(planned.error?.code).toBe('CSV_REJECTS_OVER_LIMIT');
    expect(await project.hashState()).toEqual(after);
  });
});

describe('empty files', () => {
  it('empty_file: skip marks an empty increment processed, says so, and keeps the diff snapshot', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'csv', delimiter: 't', empty_file: 'skip' } },
      mapping: { fields: ['id', 'name'], rename: { name: 'who' }, key: ['id'] },
      diff: { key: ['id'] },
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    });
    await project.put('in/a.tsv', 'id\tname\tplan\n1\tAda\tpro\n');
    expect((await project.run('apply', { now: at('2024-05-01T00:00:00Z') })).error).toBeUndefined();
    const snapshot = (await project.readState('p'))?.['snapshot'];

    // Header only, then nothing at all: both are empty increments.
    await project.put('in/b.tsv', 'id\tname\tplan\n');
    await project.put('in/c.tsv', '');
    const plan = await project.run('apply', { now: at('2024-05-02T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.selection.selected.map((c) => c.key)).toEqual(['in/b.tsv', 'in/c.tsv']);
    expect(plan.warnings.map((w) => w.code)).toEqual(['SOURCE_FILE_EMPTY', 'SOURCE_FILE_EMPTY']);
    expect(plan.counts).toEqual({
      ...emptyCounts(),
      filesMatched: 3,
      filesNew: 2,
      filesSkipped: 1,
    });
    expect((await project.list()).map((o) => o.key)).toEqual(['out/a.csv']);
    const state = await project.readState('p');
    expect(state?.['snapshot']).toEqual(snapshot);
    expect((state?.['processed'] as Array<{ key: string }>).map((p) => p.key)).toEqual([
      'in/a.tsv',
      'in/b.tsv',
      'in/c.tsv',
    ]);
  });

  it('empty_file: fail (the default) fails the run and commits nothing', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      sink: { filename: 'rows', format: 'csv' },
    });
    await project.put('a.csv', 'id,name\n');
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error?.code).toBe('CSV_EMPTY_FILE');
    expect(await project.readState('p')).toBeUndefined();
    expect(await project.list()).toEqual([]);
  });
});
