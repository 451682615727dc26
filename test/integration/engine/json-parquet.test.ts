/**
 * JSON (NDJSON and array) and Parquet sources end to end. JSON values are loaded as text so large
 * integers stay exact and nested values travel as JSON; Parquet keeps its types into a Parquet sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';
import { writeWithDuckDb } from '../../harness/duckdb-files.js';
import { at, queryFile, startEngineFixture, type EngineFixture } from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');

function counts(rows: number, rejected = 0) {
  return {
    ...emptyCounts(),
    filesMatched: 1,
    filesNew: 1,
    rowsRead: rows,
    rowsRejected: rejected,
    rowsWritten: rows - rejected,
    objectsWritten: 1,
  };
}

describe('JSON sources', () => {
  it('reads NDJSON: columns by key name, big integers exact, lists joined by & in CSV, objects as JSON', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', layout: 'ndjson' } },
      sink: { filename: 'events', format: 'csv' },
    });
    await project.put(
      'events.ndjson',
      [
        '{"name":"Ada","id":9007199254740993,"tags":["a","b"]}',
        '{"id":2,"name":"Bob","extra":{"k":1}}',
        '',
      ].join('\n'),
    );
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(2));
    expect((await project.list()).map((o) => o.key)).toEqual(['events.csv']);
    // Keys are sorted; a key missing from a record is NULL (empty in CSV).
    expect((await project.get('events.csv')).toString()).toBe(
      'extra,id,name,tags\n,9007199254740993,Ada,a&b\n"{""k"":1}",2,Bob,\n',
    );
  });

  it('rejects a malformed NDJSON line with its line number and loads the rest', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', layout: 'ndjson', max_rejects: 1 } },
      sink: { filename: 'events', format: 'ndjson' },
    });
    await project.put('events.ndjson', '{"id":"1"}\n{"id": oops}\n{"id":"3"}\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(3, 1));
    expect(plan.rejects).toHaveLength(1);
    expect(plan.rejects[0]).toMatchObject({ file: 'events.ndjson', line: 2 });
    expect((await project.get('events.ndjson')).toString()).toBe('{"id":"1"}\n{"id":"3"}\n');
  });

  it('fails the file on a malformed line by default (max_rejects 0), writing nothing', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', layout: 'ndjson' } },
      sink: { filename: 'events', format: 'ndjson' },
    });
    await project.put('events.ndjson', '{"id":"1"}\n{"id": oops}\n{"id":"3"}\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toMatchObject({ code: 'JSON_REJECTS_OVER_LIMIT' });
    expect(await project.list()).toEqual([]);
  });

  it('fails on an empty file by default, and skips it with empty_file: skip', async () => {
    const project = await fx.createProject();
    const write = (emptyFile?: 'skip') =>
      project.writePipeline('p', {
        name: 'p',
        source: { format: { kind: 'json', ...(emptyFile ? { empty_file: emptyFile } : {}) } },
        sink: { filename: 'events', format: 'ndjson' },
      });
    await write();
    await project.put('events.ndjson', '');
    expect((await project.run('apply', { now: NOW })).error).toMatchObject({ code: 'JSON_EMPTY_FILE' });
    await write('skip');
    const skipped = await project.run('apply', { now: NOW });
    expect(skipped.error).toBeUndefined();
    expect(skipped.warnings.map((w) => w.code)).toContain('SOURCE_FILE_EMPTY');
  });

  it('reads a JSON array', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', layout: 'array' } },
      sink: { filename: 'rows', format: 'json' },
    });
    await project.put('rows.json', '[\n  {"id": "1", "name": "Ada"},\n  {"id": "2", "name": "Bob"}\n]\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(2));
    const text = (await project.get('rows.json')).toString();
    expect(JSON.parse(text)).toEqual([
      { id: '1', name: 'Ada' },
      { id: '2', name: 'Bob' },
    ]);
  });
});

describe('JSON types end to end', () => {
  const example = '{"b":true,"n":5,"o":{"x":1},"tags":["a","b&c"]}';

  it('keeps numbers, booleans, objects and arrays as they are into an NDJSON sink', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json' } },
      sink: { filename: 'out', format: 'ndjson' },
    });
    await project.put('in.ndjson', `${example}\n{"b":false,"n":-1,"o":{"x":2},"tags":[]}\n`);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect((await project.get('out.ndjson')).toString()).toBe(
      `${example}\n{"b":false,"n":-1,"o":{"x":2},"tags":[]}\n`,
    );
  });

  it('writes them to CSV in the documented encoding (lists joined by &, objects as JSON)', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json' } },
      sink: { filename: 'out', format: 'csv' },
    });
    await project.put('in.ndjson', `${example}\n{"b":null,"n":null,"o":null,"tags":[{"k":"v"}]}\n`);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    // A list of objects is a list of JSON values; "&" inside a value is %26.
    expect((await project.get('out.csv')).toString()).toBe(
      'b,n,o,tags\ntrue,5,"{""x"":1}",a&b%26c\n,,,"{""k"":""v""}"\n',
    );
  });

  it('gives a field one type over all files of a run (widen, else JSON)', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'json' } },
      sink: { filename: 'out', format: 'ndjson' },
    });
    await project.put('in/a.ndjson', '{"id":1,"n":1,"s":"x","o":{"k":1}}\n');
    await project.put('in/b.ndjson', '{"id":2,"n":2.5,"s":7,"o":{"k":2}}\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect((await project.get('out.ndjson')).toString()).toBe(
      '{"id":1,"n":1.0,"o":{"k":1},"s":"x"}\n{"id":2,"n":2.5,"o":{"k":2},"s":7}\n',
    );
  });
});

describe('mappings over typed JSON fields', () => {
  it('casts, checks required and reads timestamps from typed and mixed-type (JSON) fields', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json', max_rejects: 2 } },
      mapping: {
        cast: { code: 'VARCHAR', qty: 'INTEGER' },
        timestamp: { column: 'at', format: 'X' },
        required: ['code'],
        rest: { into: 'traits' },
      },
      sink: { filename: 'out', format: 'csv' },
    });
    // code and qty drift between a string and a number (JSON); at is Unix seconds (BIGINT).
    await project.put(
      'in.ndjson',
      [
        '{"at":1714521600,"code":"A-1","qty":"3","meta":{"k":"v"},"flag":true}',
        '{"at":1714521601,"code":7,"qty":4,"meta":{"k":"w"},"flag":false}',
        '{"at":1714521602,"code":"","qty":5,"meta":null,"flag":null}',
        '{"at":1714521603,"code":"B","qty":"many","meta":null,"flag":null}',
        '',
      ].join('\n'),
    );
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.rejects.map((r) => [r.row, r.reason])).toEqual([
      [3, 'required column "code" is empty'],
      [4, 'column "qty" does not cast to INTEGER'],
    ]);
    // A JSON string casts to VARCHAR as its text (A-1, not "A-1"); packed values are text too.
    expect((await project.get('out.csv')).toString()).toBe(
      'at,code,qty,traits\n' +
        '2024-05-01 00:00:00+00,A-1,3,"flag=true&meta={""k"":""v""}"\n' +
        '2024-05-01 00:00:01+00,7,4,"flag=false&meta={""k"":""w""}"\n',
    );
  });
});

describe('the JSON reject budget', () => {
  it('counts mapping rejects too: one cast failure over the default budget (0) fails the run', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'json' } },
      mapping: { cast: { n: 'INTEGER' } },
      sink: { filename: 'out', format: 'ndjson' },
    });
    await project.put('in.ndjson', '{"n":"1"}\n{"n":"x"}\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error?.code).toBe('JSON_REJECTS_OVER_LIMIT');
    expect(await project.list()).toEqual([]);
  });
});

describe('column names that SQL lambdas could take for their own', () => {
  it('lists and the rest map still encode when columns are named e, v, x or i', async () => {
    const project = await fx.createProject();
    const line = '{"e":"E","i":1,"m":{"k":"K"},"tags":["a","b"],"v":"V","x":"X"}\n';
    await project.writePipeline('lists', {
      name: 'lists',
      source: { prefix: 'lists/', format: { kind: 'json' } },
      sink: { directory: 'lists/', filename: 'out', format: 'csv' },
    });
    await project.writePipeline('rest', {
      name: 'rest',
      source: { prefix: 'rest/', format: { kind: 'json' } },
      mapping: { key: ['i'], rest: { into: 'traits' } },
      sink: { directory: 'rest/', filename: 'out-{{field}}', format: 'multi-csv' },
    });
    await project.put('lists/in.ndjson', line);
    await project.put('rest/in.ndjson', line);
    const plan = await project.runAll('apply', { now: NOW });
    for (const p of plan.pipelines) expect(p.error, p.pipeline).toBeUndefined();
    expect((await project.get('lists/out.csv')).toString()).toBe(
      'e,i,m,tags,v,x\nE,1,"{""k"":""K""}",a&b,V,X\n',
    );
    expect((await project.get('rest/out-traits.csv')).toString()).toContain('e,E\n');
  });
});

describe('NaN and Infinity in JSON outputs', () => {
  it('writes them as strings, in lists too, so the file parses, and says how many there were', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { cast: { v: 'DOUBLE' }, compute: { lv: '[v]' } },
      sink: { filename: 'out', format: 'ndjson', limit: 3 },
    });
    await project.put('nan.csv', 'id,v\n1,NaN\n2,Infinity\n3,1.5\n4,-inf\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    const lines = (await project.get('out.ndjson')).toString().trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { id: '1', v: 'NaN', lv: ['NaN'] },
      { id: '2', v: 'Infinity', lv: ['Infinity'] },
      { id: '3', v: 1.5, lv: [1.5] },
    ]);
    // Counted over the rows written (sink.limit left out the fourth): 2 top-level, 2 in lists.
    const warning = plan.warnings.find((w) => w.code === 'JSON_NON_FINITE_NUMBERS');
    expect(warning?.message).toMatch(/^4 floating-point values/);
  });
});

describe('HUGEINT into a Parquet sink', () => {
  // DuckDB would write it as DOUBLE: 170141183460469231731687303715884105727 as 1.7014118346046923e+38.
  it('refuses a computed HUGEINT column before writing, naming the column', async () => {
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'csv' } },
      mapping: { compute: { big: 'CAST(id AS HUGEINT)' } },
      sink: { filename: 'out', format: 'parquet' },
    });
    await project.put('big.csv', 'id\n170141183460469231731687303715884105727\n');
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error?.code).toBe('SINK_HUGEINT_IN_PARQUET');
    expect(plan.error?.message).toContain('"big"');
    expect(await project.list()).toEqual([]);
  });
});

describe('Parquet sources', () => {
  it('reads Parquet and keeps its types into a Parquet sink', async () => {
    const parquet = await writeWithDuckDb(
      `SELECT * FROM (VALUES (1, 'Ada', DATE '2024-01-02', 10.5::DECIMAL(6,2)), (2, 'Bob', NULL, 0.25::DECIMAL(6,2))) AS t(id, name, since, mrr)`,
      'in.parquet',
      'FORMAT parquet',
    );
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { prefix: 'in/', format: { kind: 'parquet' } },
      sink: { directory: 'out/', filename: 'accounts', format: 'parquet' },
    });
    await project.put('in/accounts.parquet', parquet);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(2));
    expect((await project.list()).map((o) => o.key)).toEqual(['out/accounts.parquet']);
    const bytes = await project.get('out/accounts.parquet');
    expect(plan.outputs[0]?.bytes).toBe(bytes.length);
    const rows = await queryFile(
      bytes,
      'out.parquet',
      `(SELECT id, name, CAST(since AS VARCHAR) AS since, CAST(mrr AS VARCHAR) AS mrr, typeof(since) AS t FROM read_parquet($path))`,
    );
    expect(rows).toEqual([
      { id: 1, name: 'Ada', since: '2024-01-02', mrr: '10.50', t: 'DATE' },
      { id: 2, name: 'Bob', since: null, mrr: '0.25', t: 'DATE' },
    ]);
  });

  it('writes Parquet columns as CSV text', async () => {
    const parquet = await writeWithDuckDb(
      `SELECT * FROM (VALUES (1, 'Ada, Countess', TIMESTAMP '2024-01-02 03:04:05')) AS t(id, name, seen)`,
      'in.parquet',
      'FORMAT parquet',
    );
    const project = await fx.createProject();
    await project.writePipeline('p', {
      name: 'p',
      source: { format: { kind: 'parquet' } },
      sink: { filename: 'accounts', format: 'csv' },
    });
    await project.put('accounts.parquet', parquet);
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts).toEqual(counts(1));
    expect((await project.get('accounts.csv')).toString()).toBe(
      'id,name,seen\n1,"Ada, Countess",2024-01-02 03:04:05\n',
    );
  });
});
