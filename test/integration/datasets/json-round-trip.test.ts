/**
 * JSON → dataset → JSON: values keep their types through a dataset (Parquet) and an export.
 * Numbers stay numbers (integers past 2^53 and past 64 bits exact), booleans booleans, objects
 * objects, arrays arrays, a field whose type drifts between lines keeps each line's value; a second
 * import that updates rows merges into the typed dataset. The export is compared as text, so a
 * rounded number, a quoted number or an invented key would show.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

// Keys in column order (JSON sources load keys sorted), struct keys in first-seen order.
const DAY_ONE = [
  '{"big":18446744073709551616,"drift":"text","id":"a","n":9007199254740993,"o":{"x":1,"y":"q"},"ok":true,"score":1.5,"tags":["a","b&c"],"things":[{"k":1}]}',
  '{"big":-1,"drift":{"nested":[1,2]},"id":"b","n":-5,"o":{"x":2,"y":null},"ok":false,"score":-0.25,"tags":[],"things":[]}',
  '{"big":null,"drift":7,"id":"c","n":null,"o":null,"ok":null,"score":null,"tags":null,"things":null}',
];
const DAY_TWO = [
  '{"big":18446744073709551617,"drift":"changed","id":"b","n":6,"o":{"x":3,"y":"r"},"ok":true,"score":2.0,"tags":["z"],"things":[{"k":2}]}',
];

it('a JSON import exported as NDJSON and JSON gives back the same values and types', async () => {
  const p = await fx.createProject({ datasets: { items: { kind: 'entity', key: ['id'] } } });
  await p.writeImport('a-import', { dataset: 'items', mode: 'upsert', format: { kind: 'json' } });
  await p.writeExport('b-ndjson', {
    source: { dataset: 'items' },
    sink: { format: 'ndjson', filename: 'day-{{day}}' },
  });
  await p.writeExport('c-json', {
    source: { dataset: 'items' },
    sink: { format: 'json', filename: 'day-{{day}}' },
  });

  await p.put('in/a-import/day1.ndjson', DAY_ONE.join('\n') + '\n');
  const first = await p.runAll('apply', at('2024-07-01T00:00:00Z'));
  for (const pipeline of first.pipelines) expect(pipeline.error, pipeline.pipeline).toBeUndefined();
  expect((await p.get('out/b-ndjson/day-01.ndjson')).toString()).toBe(DAY_ONE.join('\n') + '\n');

  await p.put('in/a-import/day2.ndjson', DAY_TWO.join('\n') + '\n');
  const second = await p.runAll('apply', at('2024-07-02T00:00:00Z'));
  for (const pipeline of second.pipelines) expect(pipeline.error, pipeline.pipeline).toBeUndefined();
  expect(second.pipelines[0]?.dataset).toMatchObject({ created: 0, updated: 1 });
  const expected = [DAY_ONE[0], DAY_TWO[0], DAY_ONE[2]];
  expect((await p.get('out/b-ndjson/day-02.ndjson')).toString()).toBe(expected.join('\n') + '\n');
  // The JSON array holds the same records.
  const array = (await p.get('out/c-json/day-02.json')).toString();
  expect(array.replace(/\s*\n\s*/g, '')).toBe(`[${expected.join(',')}]`);
});
