/**
 * Output object keys end to end: filename templates rendered in the sink's time zone (never the
 * host's), the seed's {TIMESTAMP} form, {{part}} with max_rows_per_file, and multi-csv files whose
 * join keys join back to the rows they came from.
 *
 * The worker pretends to run in Sydney: keys must not depend on the host's time zone.
 */
process.env['TZ'] = 'Australia/Sydney';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, queryFile, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

describe('time zones and template forms', () => {
  it('renders {{timestamp}} and {{date}} in each sink zone around midnight UTC', async () => {
    const project = await fx.createProject();
    const pipeline = (name: string, timezone: string) =>
      project.writePipeline(name, {
        name,
        source: { format: { kind: 'csv' } },
        sink: {
          directory: `${name}/`,
          filename: 'export-{{date}}-{{timestamp}}-{{hour}}',
          timestamp_format: 'YYYY-MM-DD[T]HHmm',
          timezone,
          format: 'csv',
        },
      });
    await pipeline('berlin', 'Europe/Berlin');
    await pipeline('newyork', 'America/New_York');
    await project.writePipeline('seed', {
      name: 'seed',
      source: { format: { kind: 'csv' } },
      sink: { directory: 'seed/', filename: 'lytics-events-{TIMESTAMP}', format: 'csv' },
    });
    await project.put('rows.csv', 'id\n1\n');
    // 23:30 UTC on 1 May: already 2 May in Berlin (UTC+2), still 1 May in New York (UTC-4).
    const plan = await project.runAll('apply', { now: at('2024-05-01T23:30:00Z') });
    expect(plan.pipelines.map((p) => [p.pipeline, p.error])).toEqual([
      ['berlin', undefined],
      ['newyork', undefined],
      ['seed', undefined],
    ]);
    expect((await project.list()).map((o) => o.key)).toEqual([
      'berlin/export-2024-05-02-2024-05-02T0130-01.csv',
      'newyork/export-2024-05-01-2024-05-01T1930-19.csv',
      // The project's default zone (UTC) and the default timestamp_format.
      'seed/lytics-events-20240501233000.csv',
    ]);
    expect(plan.pipelines.map((p) => p.outputs.map((o) => o.key))).toEqual([
      ['berlin/export-2024-05-02-2024-05-02T0130-01.csv'],
      ['newyork/export-2024-05-01-2024-05-01T1930-19.csv'],
      ['seed/lytics-events-20240501233000.csv'],
    ]);
  });
});

describe('parts', () => {
  it('splits into {{part}} files of max_rows_per_file rows, in source order', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      sink: {
        directory: 'parts/',
        filename: 'rows-{{timestamp}}-part{{part}}',
        timestamp_format: 'YYYYMMDD',
        format: 'ndjson',
        max_rows_per_file: 3,
      },
    });
    await project.put('rows.csv', 'n\n' + [1, 2, 3, 4, 5, 6, 7].join('\n') + '\n');
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toMatchObject({ rowsRead: 7, rowsWritten: 7, objectsWritten: 3 });
    const keys = [
      'parts/rows-20240501-part1.ndjson',
      'parts/rows-20240501-part2.ndjson',
      'parts/rows-20240501-part3.ndjson',
    ];
    expect((await project.list()).map((o) => o.key)).toEqual(keys);
    expect(plan.outputs.map((o) => [o.key, o.rows])).toEqual([
      [keys[0], 3],
      [keys[1], 3],
      [keys[2], 1],
    ]);
    const texts = await Promise.all(keys.map(async (k) => (await project.get(k)).toString()));
    expect(texts).toEqual([
      '{"n":"1"}\n{"n":"2"}\n{"n":"3"}\n',
      '{"n":"4"}\n{"n":"5"}\n{"n":"6"}\n',
      '{"n":"7"}\n',
    ]);
    expect(plan.outputs.reduce((sum, o) => sum + o.rows, 0)).toBe(plan.counts.rowsWritten);
  });
});

describe('multi-csv', () => {
  it('writes one scalar file and one file per list or map field, joined by the join key', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: {
        rename: { tag_list: 'tags' },
        cast: { tags: 'VARCHAR[]' },
        rest: { into: 'traits' },
        key: ['id'],
        // Named, so not packed into traits.
        required: ['name'],
      },
      sink: {
        directory: 'multi/',
        filename: 'accounts-{{field}}',
        format: { kind: 'multi-csv', join_key: '_join_key' },
      },
    });
    await project.put(
      'accounts.csv',
      'id,name,tag_list,color,size\n1,Ada,"[red, blue]",green,L\n2,Bob,[],,M\n3,Cy,[x],blue,\n',
    );
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect((await project.list()).map((o) => o.key)).toEqual([
      'multi/accounts-main.csv',
      'multi/accounts-tags.csv',
      'multi/accounts-traits.csv',
    ]);
    expect(plan.outputs.map((o) => [o.key, o.rows])).toEqual([
      ['multi/accounts-main.csv', 3],
      ['multi/accounts-tags.csv', 3],
      ['multi/accounts-traits.csv', 4],
    ]);
    const read = async (key: string) =>
      queryFile(await project.get(key), 'f.csv', `read_csv($path, header=true, all_varchar=true)`);
    const main = await read('multi/accounts-main.csv');
    const tags = await read('multi/accounts-tags.csv');
    const traits = await read('multi/accounts-traits.csv');
    expect(main.map((r) => [r['id'], r['name']])).toEqual([
      ['1', 'Ada'],
      ['2', 'Bob'],
      ['3', 'Cy'],
    ]);
    expect(Object.keys(main[0] ?? {})).toEqual(['_join_key', 'id', 'name']);
    // Join the field files back to their rows through the join key.
    const idOf = new Map(main.map((r) => [r['_join_key'], r['id']]));
    expect(idOf.size).toBe(3);
    expect(tags.map((r) => [idOf.get(r['_join_key']), r['value']])).toEqual([
      ['1', 'red'],
      ['1', 'blue'],
      ['3', 'x'],
    ]);
    expect(traits.map((r) => [idOf.get(r['_join_key']), r['key'], r['value']])).toEqual([
      ['1', 'color', 'green'],
      ['1', 'size', 'L'],
      ['2', 'size', 'M'],
      ['3', 'color', 'blue'],
    ]);
  });
});

describe('multi-csv join key', () => {
  // Columns that come from the data: validate cannot see them, so the run refuses them.
  it.each([
    ['a scalar column', 'csv', 'people.csv', 'id,_join_key,x\n1,J1,a\n2,J2,b\n'],
    ['a list column', 'json', 'people.ndjson', '{"id":1,"_join_key":["a","b"]}\n'],
  ] as const)('refuses %s named like the join key, writing nothing', async (_, kind, file, body) => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: kind === 'csv' ? { kind } : { kind, layout: 'ndjson' } },
      mapping: { key: ['id'], compute: { tags: "['t']" } },
      sink: { filename: 'people-{{field}}', format: 'multi-csv' },
    });
    await project.put(file, body);
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error?.code).toBe('SINK_JOIN_KEY_COLLISION');
    expect(plan.error?.message).toContain('"_join_key"');
    expect(await project.list()).toEqual([]);
  });
});

describe('sink fields and limit', () => {
  it('writes the chosen fields in order and says how many rows the limit held back', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', layout: 'array' } },
      sink: { filename: 'top', format: 'csv', fields: ['name', 'id'], limit: 2 },
    });
    await project.put('rows.json', '[{"id":1,"name":"A"},{"id":2,"name":"B"},{"id":3,"name":"C"}]');
    const plan = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toMatchObject({ rowsRead: 3, rowsWritten: 2, objectsWritten: 1 });
    expect(plan.warnings).toEqual([
      { code: 'SINK_LIMIT_REACHED', message: '1 of 3 rows were not written: sink.limit is 2.' },
    ]);
    expect((await project.get('top.csv')).toString()).toBe('name,id\nA,1\nB,2\n');
  });
});
