/**
 * Every rejected row is kept, not only counted (RELIABILITY.md I8, "nothing is lost"): apply writes
 * them all — reader rejects, mapping rejects, JSON lines — to runs/<run>.rejected.csv beside the
 * run record, with file, line, row, step, reason and the record as read, whether the run succeeds
 * or fails over max_rejects. A plan writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

type Row = Record<string, string>;

async function rejectedRows(dir: string, file: string | undefined): Promise<Row[]> {
  expect(file).toMatch(/^state\/pipelines\/p\/runs\/\d{8}T\d{6}Z-[0-9a-f]{8}\.rejected\.csv$/);
  return parse<Row>(await readFile(join(dir, file ?? ''), 'utf8'), { columns: true });
}

describe('runs/<run>.rejected.csv', () => {
  it('keeps reader and mapping rejects with their line (after a multi-line record) and record', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv', max_rejects: 5 } },
      mapping: { cast: { score: 'INTEGER' } },
      sink: { filename: 'out', format: 'csv' },
    });
    // Line 2-3 is one record (a quoted newline); line 4 is ragged; line 6 does not cast.
    await project.put('in.csv', 'id,note,score\n1,"two\nlines",5\n2,short\n3,fine,7\n4,bad,seven\n5,ok,9\n');
    const run = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(run.error).toBeUndefined();
    expect(run.counts.rowsRejected).toBe(2);
    const rows = await rejectedRows(project.dir, run.rejectedRowsFile);
    expect(rows.map(({ file, line, row, step }) => ({ file, line, row, step }))).toEqual([
      // DuckDB numbers records: the header is 1, the two-line record 2, so "2,short" is record 3.
      { file: 'in.csv', line: '3', row: '', step: 'read' },
      { file: 'in.csv', line: '5', row: '3', step: 'map' },
    ]);
    expect(rows[0]?.['reason']).toMatch(/^missing-columns: /);
    expect(rows[0]?.['record']).toBe('2,short');
    expect(rows[1]?.['reason']).toBe('column "score" does not cast to INTEGER');
    expect(JSON.parse(rows[1]?.['record'] ?? '')).toEqual({ id: '4', note: 'bad', score: 'seven' });
    // The report's list agrees on the line.
    expect(run.rejects.map((r) => r.line)).toEqual([3, 5]);
    // The run record points at the file.
    const state = await project.readState('p');
    expect((state?.['lastSuccessfulRun'] as Row)['rejectedRowsFile']).toBe(run.rejectedRowsFile);
  });

  it('a run that fails over max_rejects still keeps every rejected row; a plan keeps none', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', max_rejects: 1 } },
      sink: { filename: 'out', format: 'ndjson' },
    });
    await project.put('in.ndjson', '{"id":"1"}\n{"id": oops}\n[1,2]\n{"id":"4"}\n');
    const planned = await project.run('plan', { now: at('2024-05-01T00:00:00Z') });
    expect(planned.error?.code).toBe('JSON_REJECTS_OVER_LIMIT');
    expect(planned.rejectedRowsFile).toBeUndefined();

    const failed = await project.run('apply', { now: at('2024-05-01T00:00:00Z') });
    expect(failed.error?.code).toBe('JSON_REJECTS_OVER_LIMIT');
    const rows = await rejectedRows(project.dir, failed.rejectedRowsFile);
    expect(rows.map(({ line, step, record }) => ({ line, step, record }))).toEqual([
      { line: '2', step: 'read', record: '{"id": oops}' },
      { line: '3', step: 'read', record: '[1,2]' },
    ]);
    expect(rows[1]?.['reason']).toBe('not-an-object: an array, not an object');
    expect(await project.list()).toEqual([]);
  });
});
