/**
 * mapping.timestamp.default: import-time (the seed's "if no field is specified, the time of the
 * import"): a source without the column gets it, empty values are filled, unreadable ones are still
 * rejected, and the filled time never makes a row "changed" for diff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const day1 = at('2024-05-01T06:00:00Z');
const day2 = at('2024-05-02T06:00:00Z');

async function importTimeProject(diff: boolean | { key: readonly string[] }) {
  const project = await fx.createProject();
  await project.writePipeline('p', {
    name: 'p',
    source: {
      prefix: 'in/',
      match: '^events_(?P<timestamp>\\d{8})\\.csv$',
      timestamp_format: 'YYYYMMDD',
      pick: 'newest',
      format: { kind: 'csv', max_rejects: 5 },
    },
    mapping: { timestamp: { column: 'seen_at', default: 'import-time' } },
    diff,
    sink: {
      directory: 'out/',
      filename: 'events-{{timestamp}}',
      timestamp_format: 'YYYYMMDD',
      format: 'csv',
    },
  });
  return project;
}

describe('mapping.timestamp.default: import-time', () => {
  it.each([
    ['whole-row', true],
    ['keyed', { key: ['id'] }],
  ] as const)(
    'adds the column to a source without it, stamped with the run time; %s diff does not see it',
    async (_, diff) => {
      const project = await importTimeProject(diff);
      await project.put('in/events_20240501.csv', 'id,name\n1,Ada\n2,Bob\n');
      const first = await project.run('apply', { now: day1 });
      expect(first.error).toBeUndefined();
      expect((await project.get('out/events-20240501.csv')).toString()).toBe(
        'id,name,seen_at\n1,Ada,2024-05-01 06:00:00+00\n2,Bob,2024-05-01 06:00:00+00\n',
      );
      // Same rows a day later, plus one: only the new row is published, with the new run's time.
      await project.put('in/events_20240502.csv', 'id,name\n1,Ada\n2,Bob\n3,Cy\n');
      const second = await project.run('apply', { now: day2 });
      expect(second.error).toBeUndefined();
      expect([second.counts.rowsAdded, second.counts.rowsChanged, second.counts.rowsUnchanged]).toEqual([
        1, 0, 2,
      ]);
      expect((await project.get('out/events-20240502.csv')).toString()).toBe(
        'id,name,seen_at\n3,Cy,2024-05-02 06:00:00+00\n',
      );
    },
  );

  it('fills empty values, keeps given ones and still rejects unreadable ones', async () => {
    const project = await importTimeProject(false);
    await project.put('in/events_20240501.csv', 'id,seen_at\n1,2024-04-30T12:00:00Z\n2,\n3,yesterday\n');
    const run = await project.run('apply', { now: day1 });
    expect(run.error).toBeUndefined();
    expect(run.rejects).toEqual([
      {
        file: 'in/events_20240501.csv',
        line: 4,
        row: 3,
        reason: 'timestamp column "seen_at" does not read as an ISO timestamp',
      },
    ]);
    expect((await project.get('out/events-20240501.csv')).toString()).toBe(
      'id,seen_at\n1,2024-04-30 12:00:00+00\n2,2024-05-01 06:00:00+00\n',
    );
  });

  it('without the default, a source without the column is an error that names it', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { timestamp: { column: 'seen_at' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('events.csv', 'id,name\n1,Ada\n');
    const run = await project.run('apply', { now: day1 });
    expect(run.error).toMatchObject({ code: 'MAPPING_UNKNOWN_COLUMN' });
  });
});
