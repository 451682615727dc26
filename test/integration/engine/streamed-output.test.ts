/**
 * Without a diff the mapping is a view, streamed by the COPYs that write the files: a computed column
 * that fails on the data fails in write-files, and must still be named at its setting. multi-csv
 * writes each file with its own COPY straight from the mapped rows (no sorted copies in between):
 * every file must keep the source order, elements in list order, also past one DuckDB row group
 * (122,880 rows) where DuckDB works in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, queryFile, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');

/** A CSV the run wrote, every column as text. */
async function readCsv(project: Awaited<ReturnType<EngineFixture['createProject']>>, key: string) {
  return queryFile(await project.get(key), 'f.csv', 'read_csv($path, header=true, all_varchar=true)');
}

describe('a computed column that fails on the data, without a diff', () => {
  for (const format of ['csv', 'multi-csv'] as const) {
    it(`is named at its setting (${format} sink), and nothing is written`, async () => {
      const project = await fx.createProject();
      await project.writePipeline('p', {
        name: 'p',
        source: { format: { kind: 'csv' } },
        mapping: { fields: ['a', 'b'], key: ['a'], compute: { n: 'CAST(b AS INTEGER)' } },
        sink: { filename: format === 'csv' ? 'out' : 'out-{{field}}', format },
      });
      await project.put('a.csv', 'a,b\nx,1\ny,not-a-number\n');
      const plan = await project.run('apply', { now: NOW });
      expect(plan.error).toMatchObject({ code: 'MAPPING_COMPUTE_FAILED' });
      expect(await project.list()).toEqual([]);
    });
  }
});

describe('multi-csv from one large file', () => {
  it('writes every file in source order, list elements in order, past one row group', async () => {
    const rows = 150_000;
    const lines = ['id,name,tags'];
    // Ids not in sorted order, so source order is not key order; one to three tags per row, one
    // row in seven without any.
    for (let i = 0; i < rows; i++) {
      const id = (i * 7919) % rows;
      const tags = i % 7 === 0 ? '' : Array.from({ length: 1 + (i % 3) }, (_, t) => `t${i}-${t}`).join(' ');
      lines.push(`${id},n${i},${tags}`);
    }
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { key: ['id'], compute: { tag_list: "string_split(tags, ' ')" } },
      sink: { filename: 'out-{{field}}', format: { kind: 'multi-csv', join_key: '_join_key' } },
    });
    await project.put('big.csv', `${lines.join('\n')}\n`);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    const main = await readCsv(project, 'out-main.csv');
    const tags = await readCsv(project, 'out-tag_list.csv');
    // The main file: every row in source order (names n0, n1, … were given in file order).
    expect(main.length).toBe(rows);
    expect(main.findIndex((r, i) => r['name'] !== `n${i}`)).toBe(-1);
    // The field file: each row's tags, rows in source order, tags in list order.
    const rowOf = new Map(main.map((r) => [String(r['_join_key']), String(r['name']).slice(1)]));
    expect(rowOf.size).toBe(rows);
    const expected = lines.slice(1).flatMap((line, i) => {
      const list = line.split(',')[2] ?? '';
      return list ? list.split(' ').map((t) => `${i}:${t}`) : [];
    });
    const got = tags.map((r) => `${rowOf.get(String(r['_join_key']))}:${String(r['value'])}`);
    expect(got.length).toBe(expected.length);
    expect(got.findIndex((g, i) => g !== expected[i])).toBe(-1);
    expect(plan.outputs.map((o) => o.rows)).toEqual([rows, expected.length]);
  });
});

describe('a computed column calling an unstable function (uuid(), random(), now())', () => {
  it('has one value per row in every file of a multi-csv export', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      // The rows' key is made up by uuid(): every file must carry the same one for a row, or the
      // field file joins nothing.
      mapping: {
        key: ['uid'],
        compute: { uid: 'CAST(uuid() AS VARCHAR)', tag_list: "string_split(tags, ' ')" },
      },
      sink: { filename: 'out-{{field}}', format: { kind: 'multi-csv', join_key: '_join_key' } },
    });
    const lines = ['name,tags', ...Array.from({ length: 50 }, (_, i) => `n${i},a${i} b${i}`)];
    await project.put('a.csv', `${lines.join('\n')}\n`);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    const main = await readCsv(project, 'out-main.csv');
    const tags = await readCsv(project, 'out-tag_list.csv');
    const nameOf = new Map(main.map((r) => [String(r['_join_key']), String(r['name'])]));
    expect(nameOf.size).toBe(50);
    expect(tags.map((r) => `${nameOf.get(String(r['_join_key']))}:${String(r['value'])}`)).toEqual(
      lines.slice(1).flatMap((line) => {
        const [name, list] = line.split(',');
        return (list ?? '').split(' ').map((t) => `${name}:${t}`);
      }),
    );
  });
});
