/**
 * Many small CSV files through the whole engine (s3rver, fetch, load, map, write, upload): the files
 * that share a header are loaded with one read, the others on their own, and the run is the same
 * as ever — rows in file order then record order, the odd files' columns, rejects with file and
 * line in the report and in runs/<run>.rejected.csv, counts that add up.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

describe('many small CSV files in one run', () => {
  it('loads them with one read and reports rows, rejects and counts as file by file', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', pick: 'all-new', order: 'key', format: { kind: 'csv', max_rejects: 5 } },
      sink: { filename: 'out', format: 'csv' },
    });
    for (let i = 0; i < 20; i += 1) {
      await project.put(`in/f${String(i).padStart(2, '0')}.csv`, `id,name\n${i}a,n\n${i}b,"two\nlines"\n`);
    }
    await project.put('in/f05.csv', 'id,name\n5a,n\n5b\n5c,x,y\n5d,m\n'); // two rejects, lines 3 and 4
    await project.put('in/f07.csv', 'id,title\n7a,t\n'); // another header: on its own
    await project.put('in/f09.csv', gzipSync('id,name\n9a,g\n')); // gzip: a group of one
    const run = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(run.error).toBeUndefined();
    expect(run.counts).toMatchObject({ rowsRead: 40, rowsRejected: 2, rowsWritten: 38 });
    expect(run.rejects.map((r) => [r.file, r.line])).toEqual([
      ['in/f05.csv', 3],
      ['in/f05.csv', 4],
    ]);
    // One read for the files that share a header: no per-file row-number query in the load step.
    const perFile = run.sql.filter((s) => s.step === 'load' && s.sql.includes('min(rowid)'));
    expect(perFile).toHaveLength(2);

    const [output] = await project.list();
    const rows = parse<Record<string, string>>(await project.get(output?.key ?? ''), { columns: true });
    expect(rows.map((r) => r['id'])).toEqual([
      ...[0, 1, 2, 3, 4].flatMap((i) => [`${i}a`, `${i}b`]),
      '5a',
      '5d',
      '6a',
      '6b',
      '7a',
      '8a',
      '8b',
      '9a',
      ...[10, 11, 12, 13, 14, 15, 16, 17, 18, 19].flatMap((i) => [`${i}a`, `${i}b`]),
    ]);
    expect(rows.find((r) => r['id'] === '7a')).toMatchObject({ name: '', title: 't' });
    expect(rows.find((r) => r['id'] === '3b')?.['name']).toBe('two\nlines');

    const rejected = parse<Record<string, string>>(
      await readFile(join(project.dir, run.rejectedRowsFile ?? ''), 'utf8'),
      { columns: true },
    );
    expect(rejected.map((r) => [r['file'], r['line'], r['step']])).toEqual([
      ['in/f05.csv', '3', 'read'],
      ['in/f05.csv', '4', 'read'],
    ]);
  });
});
