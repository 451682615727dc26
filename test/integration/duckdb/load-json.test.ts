import { readdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadJson, type LoadJsonOptions } from '../../../engine/duckdb/load-json.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { canValidateNdjson } from '../../../engine/duckdb/validate-ndjson-file.js';
import { ferryErrorOf, openTestSession, tableExists, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

async function load(content: string | Buffer, options: Partial<LoadJsonOptions> = {}, name = 'input.json') {
  const path = await t.write(name, content);
  return loadJson(t.session, {
    path,
    table: 'loaded',
    layout: 'ndjson',
    compression: 'none',
    displayName: `s3://vendor/${name}`,
    ...options,
  });
}

const rows = () => t.session.all('SELECT * FROM loaded ORDER BY rowid');
/** Each row as JSON text, so types show (numbers unquoted) and large integers stay exact. */
const jsonRows = async () =>
  (await t.session.all('SELECT CAST(to_json(l) AS VARCHAR) AS j FROM loaded l ORDER BY rowid')).map(
    (r) => r['j'] as string,
  );
const types = async () =>
  Object.fromEntries(
    (await t.session.all('DESCRIBE loaded')).map((r) => [
      r['column_name'] as string,
      r['column_type'] as string,
    ]),
  );

describe('loadJson NDJSON', () => {
  it('loads one object per line, keys as typed columns', async () => {
    const result = await load(
      '{"id":1,"name":"a","tags":["x"],"meta":{"k":true}}\n{"id":2,"name":null,"extra":1.5}\n',
    );
    expect(result).toMatchObject({
      columns: ['extra', 'id', 'meta', 'name', 'tags'],
      columnTypes: {
        extra: 'DOUBLE',
        id: 'BIGINT',
        meta: 'STRUCT(k BOOLEAN)',
        name: 'VARCHAR',
        tags: 'VARCHAR[]',
      },
      rowsLoaded: 2,
      rowsRejected: 0,
    });
    expect(await types()).toEqual(result.columnTypes);
    expect(await jsonRows()).toEqual([
      '{"extra":null,"id":1,"meta":{"k":true},"name":"a","tags":["x"]}',
      '{"extra":1.5,"id":2,"meta":null,"name":null,"tags":null}',
    ]);
  });

  it('rejects malformed lines with their line numbers and loads the rest', async () => {
    const text = [
      '{"id":1}',
      '{"id":2, broken}',
      '',
      '{"id":3}',
      '[1,2]',
      '"just a string"',
      '{"id":4',
      '{"id":5}',
    ].join('\n');
    const result = await load(text);
    expect(result.rowsLoaded).toBe(3);
    expect(result.rowsRejected).toBe(4);
    // 7 non-blank lines = 3 loaded + 4 rejected; the blank line 3 is not a record.
    expect(result.rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, 'malformed'],
      [5, 'not-an-object'],
      [6, 'not-an-object'],
      [7, 'malformed'],
    ]);
    expect((await rows()).map((r) => r['id'])).toEqual([1n, 3n, 5n]);
    // The checked copy of the good lines is gone.
    expect(await readdir(t.dir)).toEqual(['input.json']);
  });

  it('rejects a line that is not UTF-8 instead of reading U+FFFD', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"n":"ok"}\n{"n":"'),
      Buffer.from('Jérôme', 'latin1'),
      Buffer.from('"}\n'),
    ]);
    const result = await load(bytes);
    expect(result).toMatchObject({ rowsLoaded: 1, rowsRejected: 1 });
    expect(result.rejects).toMatchObject([{ line: 2, reason: 'invalid-encoding' }]);
  });

  it('rejects lines longer than maxLineBytes', async () => {
    const result = await load(`{"a":"${'x'.repeat(5000)}"}\n{"a":"short"}\n`, { maxLineBytes: 1000 });
    expect(result).toMatchObject({ rowsLoaded: 1, rowsRejected: 1 });
    expect(result.rejects).toMatchObject([{ line: 1, reason: 'line-too-long' }]);
  });

  it('handles CRLF, a BOM and a last line without newline', async () => {
    const result = await load('\uFEFF{"a":1}\r\n{"a":2}\r\n{"a":3}');
    expect(result).toMatchObject({ columns: ['a'], rowsLoaded: 3, rowsRejected: 0 });
  });

  it('loads values whose type changes between records as JSON, each value exact', async () => {
    const result = await load('{"a":1}\n{"a":"x"}\n{"a":{"b":[1,2]}}\n{"a":true}\n{"a":null}\n');
    expect(result.columnTypes).toEqual({ a: 'JSON' });
    expect((await rows()).map((r) => r['a'])).toEqual(['1', '"x"', '{"b":[1,2]}', 'true', null]);
  });

  it('keeps large integers exact', async () => {
    const result = await load(
      '{"id":9007199254740993,"big":123456789012345678901234567890}\n{"id":-9007199254740993,"big":1}\n',
    );
    expect(result.rowsLoaded).toBe(2);
    expect(result.columnTypes).toEqual({ big: 'DECIMAL(38,0)', id: 'BIGINT' });
    expect(await jsonRows()).toEqual([
      '{"big":123456789012345678901234567890,"id":9007199254740993}',
      '{"big":1,"id":-9007199254740993}',
    ]);
  });

  it('finds keys that first appear late in the file', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i }));
    lines.push('{"i":-1,"late":"here"}');
    const result = await load(lines.join('\n'));
    expect(result.columns).toEqual(['i', 'late']);
    expect(await t.session.all(`SELECT late FROM loaded WHERE late IS NOT NULL`)).toEqual([{ late: 'here' }]);
  });

  it('reads gzip', async () => {
    const result = await load(
      gzipSync('{"a":1}\nnot json\n{"a":2}\n'),
      { compression: 'gzip' },
      'in.json.gz',
    );
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 1 });
    expect(result.rejects).toMatchObject([{ line: 2, reason: 'malformed' }]);
  });

  it('fails with JSON_READ_FAILED on a truncated gzip file', async () => {
    const gz = gzipSync('{"a":1}\n'.repeat(1000));
    const error = await ferryErrorOf(() => load(gz.subarray(0, gz.length - 20), { compression: 'gzip' }));
    expect(error.code).toBe('JSON_READ_FAILED');
  });

  it('reads zstd written by DuckDB, and still reports a bad line by number', async () => {
    const source = await t.write('plain.ndjson', '{"a":1}\n{"a":2, nope}\n{"a":3}\n');
    const zst = `${t.dir}/in.ndjson.zst`;
    // Copy the bytes through DuckDB's zstd writer, unchanged: one VARCHAR column, no quoting.
    await t.session.run(
      `COPY (SELECT line FROM read_csv(${quoteLiteral(source)}, header = false, auto_detect = false, columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '')) TO ${quoteLiteral(zst)} (FORMAT csv, HEADER false, QUOTE '', DELIMITER '\x01', COMPRESSION zstd)`,
    );
    const options: LoadJsonOptions = {
      path: zst,
      table: 'loaded',
      layout: 'ndjson',
      compression: 'zstd',
      displayName: 'in.ndjson.zst',
    };
    if (canValidateNdjson('zstd')) {
      const result = await loadJson(t.session, options);
      expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 1 });
      expect(result.rejects).toMatchObject([{ line: 2, reason: 'malformed' }]);
    } else {
      // Node < 22.15 cannot decompress zstd, so DuckDB reads the file unchecked and fails it whole.
      const error = await ferryErrorOf(() => loadJson(t.session, options));
      expect(error.code).toBe('JSON_MALFORMED');
      expect(await tableExists(t.session, 'loaded')).toBe(false);
    }
  });

  it.each([
    [{ kind: 'count', value: 0 } as const, true],
    [{ kind: 'count', value: 1 } as const, false],
    [{ kind: 'percent', value: 10 } as const, true],
    [{ kind: 'percent', value: 25 } as const, false],
  ])('enforces maxRejects %j (over: %s)', async (maxRejects, over) => {
    const text = '{"a":1}\n{bad}\n{"a":3}\n{"a":4}\n'; // 1 of 4 rejected: 25 %
    if (!over) {
      expect(await load(text, { maxRejects })).toMatchObject({ rowsLoaded: 3, rowsRejected: 1 });
      return;
    }
    const error = await ferryErrorOf(() => load(text, { maxRejects }));
    expect(error.code).toBe('JSON_REJECTS_OVER_LIMIT');
    expect(error.context).toMatchObject({ rowsRejected: 1, rowsLoaded: 3 });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('reports every line rejected without creating a table', async () => {
    const result = await load('nope\n[]\n');
    expect(result).toMatchObject({ tableCreated: false, empty: false, rowsLoaded: 0, rowsRejected: 2 });
  });
});

describe('loadJson array', () => {
  it('loads an array of objects', async () => {
    const result = await load('[{"id":1,"v":"a"},\n {"id":9007199254740993,"v":{"x":[1]}}]', {
      layout: 'array',
    });
    expect(result).toMatchObject({ columns: ['id', 'v'], rowsLoaded: 2, rowsRejected: 0 });
    expect(result.columnTypes).toEqual({ id: 'BIGINT', v: 'JSON' });
    expect(await jsonRows()).toEqual(['{"id":1,"v":"a"}', '{"id":9007199254740993,"v":{"x":[1]}}']);
  });

  it.each([
    ['a syntax error', '[{"id":1},\n{"id":2 "x":3}]'],
    ['a missing bracket', '[{"id":1},{"id":2}'],
    ['trailing garbage', '[{"id":1}] x'],
  ])('fails %s with JSON_MALFORMED naming the file', async (_label, text) => {
    const error = await ferryErrorOf(() => load(text, { layout: 'array' }));
    expect(error.code).toBe('JSON_MALFORMED');
    expect(error.context).toMatchObject({ file: 's3://vendor/input.json' });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('fails objects read as an array (NDJSON, a wrapper object) with JSON_NOT_RECORDS, saying which', async () => {
    for (const [text, compression] of [
      ['{"id":1}\n{"id":2}\n', 'none'],
      ['\uFEFF \n{"data": [{"id": 1}]}', 'none'],
      [gzipSync('{"id":1}\n'), 'gzip'],
    ] as const) {
      const error = await ferryErrorOf(() => load(text, { layout: 'array', compression }));
      expect(error.code).toBe('JSON_NOT_RECORDS');
      expect(error.message).toBe(
        's3://vendor/input.json starts with `{`: it holds a JSON object (or several), not one array of objects (layout: array).',
      );
      expect(error.hint).toContain('set layout: ndjson');
      expect(await tableExists(t.session, 'loaded')).toBe(false);
    }
  });

  it.each([
    ['[{"id":1},\n{"id":2 "x":3}]', 2, 9],
    ['[{"id":1},\n {"id":2},\n {"id":3}', 3, 10],
    ['\uFEFF[{"id":1}] x', 1, 12],
  ])('gives the line and column of the error in %j', async (text, line, column) => {
    const error = await ferryErrorOf(() => load(text, { layout: 'array' }));
    expect(error.code).toBe('JSON_MALFORMED');
    expect(error.context).toMatchObject({ line, column });
  });

  it('fails an array cut after an element and its comma, which DuckDB alone loads in part', async () => {
    for (const [text, compression] of [
      ['[{"id":1},', 'none'],
      ['[\n  {"id":1, "tags":[1,2]},\n  ', 'none'],
      [gzipSync('[{"id":1},\n'), 'gzip'],
    ] as const) {
      const error = await ferryErrorOf(() => load(text, { layout: 'array', compression }));
      expect(error.code).toBe('JSON_MALFORMED');
      expect(error.message).toContain('ends before the `]` that closes its array');
      expect(await tableExists(t.session, 'loaded')).toBe(false);
    }
    // Whitespace after the closing bracket is fine (a file of whitespace only is empty: see below).
    expect(await load('[{"id":1}]\n\n  ', { layout: 'array' })).toMatchObject({ rowsLoaded: 1 });
  });

  it('gives the position inside a gzip array too', async () => {
    const error = await ferryErrorOf(() =>
      load(gzipSync('[\n{"a":1},\n{"a":2,,}\n]'), { layout: 'array', compression: 'gzip' }, 'in.json.gz'),
    );
    expect(error.context).toMatchObject({ line: 3, column: 8 });
  });

  it('refuses values that are not objects', async () => {
    const error = await ferryErrorOf(() => load('[{"a":1}, 2, null]', { layout: 'array' }));
    expect(error.code).toBe('JSON_NOT_RECORDS');
    expect(error.context).toMatchObject({ values: 2 });
  });

  it('refuses a repeated key and keys that differ only in case', async () => {
    expect((await ferryErrorOf(() => load('[{"a":1,"a":2}]', { layout: 'array' }))).code).toBe(
      'JSON_DUPLICATE_KEY',
    );
    expect((await ferryErrorOf(() => load('[{"a":1},{"A":2}]', { layout: 'array' }))).code).toBe(
      'JSON_DUPLICATE_KEY',
    );
    expect((await ferryErrorOf(() => load('{"a":1,"a":2}\n'))).code).toBe('JSON_DUPLICATE_KEY');
    expect((await ferryErrorOf(() => load('{"a":1}\n{"A":2}\n'))).code).toBe('JSON_DUPLICATE_KEY');
  });

  it('refuses an empty key', async () => {
    expect((await ferryErrorOf(() => load('[{"":1}]', { layout: 'array' }))).code).toBe('JSON_BAD_KEY');
    expect((await ferryErrorOf(() => load('{"":1}\n'))).code).toBe('JSON_BAD_KEY');
  });
});

describe('loadJson empty files', () => {
  it.each([
    ['array', '[]'],
    ['array', '  \n'],
    ['ndjson', ''],
    ['ndjson', '\n\n'],
  ] as const)('returns empty for a %s file %j', async (layout, text) => {
    const result = await load(text, { layout });
    expect(result).toMatchObject({ empty: true, tableCreated: false, rowsLoaded: 0 });
    expect(await tableExists(t.session, 'loaded')).toBe(false);
  });

  it('throws JSON_EMPTY_FILE under fail', async () => {
    const error = await ferryErrorOf(() => load('[]', { layout: 'array', emptyFile: 'fail' }));
    expect(error.code).toBe('JSON_EMPTY_FILE');
  });
});
