/**
 * The JSON type rule (json-type.ts, README "JSON types"), case by case, through loadJson: the type
 * each field gets over all lines, and that every value survives exactly (each row read back as JSON
 * text, so a rounded number or an added key would show).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJson } from '../../../engine/duckdb/load-json.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeAll(async () => {
  t = await openTestSession();
});
afterAll(async () => {
  await t.close();
});

let counter = 0;
async function typesOf(lines: readonly string[], layout: 'ndjson' | 'array' = 'ndjson') {
  counter += 1;
  const table = `t${counter}`;
  const text = layout === 'ndjson' ? lines.join('\n') : `[${lines.join(',\n')}]`;
  const path = await t.write(`in-${counter}.json`, text);
  const result = await loadJson(t.session, {
    path,
    table,
    layout,
    compression: 'none',
    displayName: 'in.json',
  });
  const rows = await t.session.all(`SELECT CAST(to_json(x) AS VARCHAR) AS j FROM ${table} x ORDER BY rowid`);
  return { types: result.columnTypes, rows: rows.map((r) => r['j'] as string) };
}

describe('JSON fields load as DuckDB types', () => {
  it('numbers, booleans, nulls, nested objects and arrays (the issue example)', async () => {
    const line = '{"b":true,"n":5,"o":{"x":1},"tags":["a","b&c"]}';
    const { types, rows } = await typesOf([line]);
    expect(types).toEqual({ b: 'BOOLEAN', n: 'BIGINT', o: 'STRUCT(x BIGINT)', tags: 'VARCHAR[]' });
    expect(rows).toEqual([line]);
  });

  it.each([
    [
      'whole numbers and fractions widen to DOUBLE',
      ['{"v":1}', '{"v":2.5}'],
      'DOUBLE',
      ['{"v":1.0}', '{"v":2.5}'],
    ],
    [
      'a whole number past 2^53 with a fraction stays JSON (a DOUBLE would round it)',
      ['{"v":9007199254740993}', '{"v":0.5}'],
      'JSON',
      ['{"v":9007199254740993}', '{"v":0.5}'],
    ],
    [
      'integers past 64 bits are DECIMAL(38,0)',
      ['{"v":18446744073709551616}', '{"v":-9223372036854775809}', '{"v":1}'],
      'DECIMAL(38,0)',
      ['{"v":18446744073709551616}', '{"v":-9223372036854775809}', '{"v":1}'],
    ],
    [
      'integers past 38 digits stay JSON',
      ['{"v":1234567890123456789012345678901234567890}', '{"v":1}'],
      'JSON',
      ['{"v":1234567890123456789012345678901234567890}', '{"v":1}'],
    ],
    [
      'the edges of BIGINT',
      ['{"v":9223372036854775807}', '{"v":-9223372036854775808}'],
      'BIGINT',
      ['{"v":9223372036854775807}', '{"v":-9223372036854775808}'],
    ],
    ['one past BIGINT', ['{"v":9223372036854775808}'], 'DECIMAL(38,0)', ['{"v":9223372036854775808}']],
    [
      '2^53 itself still widens to DOUBLE exactly',
      ['{"v":9007199254740992}', '{"v":-9007199254740992}', '{"v":0.5}'],
      'DOUBLE',
      ['{"v":9007199254740992.0}', '{"v":-9007199254740992.0}', '{"v":0.5}'],
    ],
    ['a number out of DOUBLE range stays JSON', ['{"v":1e400}'], 'JSON', ['{"v":1e400}']],
    [
      'a string on one line and a number on another: JSON, each value as written',
      ['{"v":"7"}', '{"v":7}', '{"v":null}'],
      'JSON',
      ['{"v":"7"}', '{"v":7}', '{"v":null}'],
    ],
    ['only nulls: JSON', ['{"v":null}', '{"v":null}'], 'JSON', ['{"v":null}', '{"v":null}']],
    [
      'objects with the same keys in any order: STRUCT',
      ['{"v":{"a":1,"b":"x"}}', '{"v":{"b":"y","a":2}}', '{"v":null}'],
      'STRUCT(a BIGINT, b VARCHAR)',
      ['{"v":{"a":1,"b":"x"}}', '{"v":{"a":2,"b":"y"}}', '{"v":null}'],
    ],
    [
      'objects whose keys differ between lines: JSON (no invented null keys)',
      ['{"v":{"a":1}}', '{"v":{"b":2}}'],
      'JSON',
      ['{"v":{"a":1}}', '{"v":{"b":2}}'],
    ],
    [
      'a field that drifts inside a struct: the struct keeps, the field is JSON',
      ['{"v":{"a":1}}', '{"v":{"a":"x"}}'],
      'STRUCT(a JSON)',
      ['{"v":{"a":1}}', '{"v":{"a":"x"}}'],
    ],
    [
      'arrays of objects with the same keys: a list of structs',
      ['{"v":[{"k":1},{"k":2}]}', '{"v":[]}'],
      'STRUCT(k BIGINT)[]',
      ['{"v":[{"k":1},{"k":2}]}', '{"v":[]}'],
    ],
    [
      'arrays of objects whose keys differ: a list of JSON',
      ['{"v":[{"k":1},{"j":2}]}'],
      'JSON[]',
      ['{"v":[{"k":1},{"j":2}]}'],
    ],
    ['arrays of mixed values: a list of JSON', ['{"v":[1,"a",null]}'], 'JSON[]', ['{"v":[1,"a",null]}']],
    ['only empty arrays: a list of JSON', ['{"v":[]}'], 'JSON[]', ['{"v":[]}']],
    [
      'nested big integers stay exact',
      ['{"v":{"n":[18446744073709551616,1]}}'],
      'STRUCT(n DECIMAL(38,0)[])',
      ['{"v":{"n":[18446744073709551616,1]}}'],
    ],
    [
      'nested keys with dots and quotes',
      ['{"v":{"a.b":1,"c\\"d":[2]}}'],
      'STRUCT("a.b" BIGINT, "c""d" BIGINT[])',
      ['{"v":{"a.b":1,"c\\"d":[2]}}'],
    ],
    ['nested keys that differ only in case: JSON', ['{"v":{"a":1,"A":2}}'], 'JSON', ['{"v":{"a":1,"A":2}}']],
    ['an empty object: JSON', ['{"v":{}}'], 'JSON', ['{"v":{}}']],
    [
      'an object on one line and an array on another: JSON',
      ['{"v":{"a":1}}', '{"v":[1]}'],
      'JSON',
      ['{"v":{"a":1}}', '{"v":[1]}'],
    ],
  ])('%s', async (_label, lines, type, expected) => {
    for (const layout of ['ndjson', 'array'] as const) {
      const { types, rows } = await typesOf(lines, layout);
      expect(types, layout).toEqual({ v: type });
      expect(rows, layout).toEqual(expected);
    }
  });

  it('a key missing from a line is NULL and does not change the type', async () => {
    const { types, rows } = await typesOf(['{"a":1,"b":true}', '{"a":2}']);
    expect(types).toEqual({ a: 'BIGINT', b: 'BOOLEAN' });
    expect(rows).toEqual(['{"a":1,"b":true}', '{"a":2,"b":null}']);
  });
});
