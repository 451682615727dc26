import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { compileCopySql } from '../../../engine/steps/compile-copy-sql.js';

let session: DuckDbSession;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-copy-'));
  session = await createDuckDbSession({ tempDir: dir });
  await session.run(
    `CREATE TABLE t AS SELECT 1 AS id, TIMESTAMPTZ '2026-11-21 12:04:42.5+01' AS at, ['a;b', 'c%d', 'e'] AS tags, MAP(['k;1'], ['v=1']) AS m`,
  );
});
afterAll(() => session?.close());

const columns = [
  { name: 'id', type: 'INTEGER' },
  { name: 'at', type: 'TIMESTAMP WITH TIME ZONE' },
  { name: 'tags', type: 'VARCHAR[]' },
  { name: 'm', type: 'MAP(VARCHAR, VARCHAR)' },
];

it('writes timestamps as RFC 3339 UTC in JSON', async () => {
  const path = join(dir, 'out.ndjson');
  await session.run(
    compileCopySql({
      table: 't',
      columns,
      format: { kind: 'ndjson' },
      compress: 'none',
      orderBy: ['id'],
      path,
    }),
  );
  expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
    id: 1,
    at: '2026-11-21T11:04:42.500000Z',
    tags: ['a;b', 'c%d', 'e'],
    m: { 'k;1': 'v=1' },
  });
});

it('percent-encodes a custom list separator inside values, so lists and maps stay reversible', async () => {
  const path = join(dir, 'out.csv');
  await session.run(
    compileCopySql({
      table: 't',
      columns,
      format: { kind: 'csv', delimiter: ',', quote: '"', headers: true, listSeparator: ';' },
      compress: 'none',
      orderBy: ['id'],
      path,
    }),
  );
  expect(readFileSync(path, 'utf8')).toBe(
    'id,at,tags,m\n1,2026-11-21 11:04:42.5+00,a%3Bb;c%25d;e,k%3B1=v%3D1\n',
  );
});

it('keeps NULL items of a list (empty, in their place) and map entries with a NULL value (key=)', async () => {
  const path = join(dir, 'nulls.csv');
  await session.run(
    `CREATE TABLE nulls AS SELECT * FROM (VALUES
      (1, [NULL, 'z', NULL], MAP(['k1', 'k2', 'k&3'], ['v1', NULL, 'a=b'])),
      (2, [NULL]::VARCHAR[], MAP([], [])::MAP(VARCHAR, VARCHAR)),
      (3, []::VARCHAR[], NULL)) AS t(id, l, m)`,
  );
  await session.run(
    compileCopySql({
      table: 'nulls',
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'l', type: 'VARCHAR[]' },
        { name: 'm', type: 'MAP(VARCHAR, VARCHAR)' },
      ],
      format: { kind: 'csv', delimiter: ',', quote: '"', headers: true, listSeparator: '&' },
      compress: 'none',
      orderBy: ['id'],
      path,
    }),
  );
  expect(readFileSync(path, 'utf8')).toBe('id,l,m\n1,&z&,k1=v1&k2=&k%263=a%3Db\n2,"",""\n3,"",\n');
});

// The escape of a quote inside a value is the configured quote, doubled (as the source side reads
// it): DuckDB's default escape is `"` whatever the quote, which a reader with quote `'` misreads.
it('escapes a custom quote by doubling it, so a reader with the same quote reads every value back', async () => {
  const values = [`it's "q"`, `'`, `"`, `''`, `a,b`];
  await session.run(
    `CREATE TABLE quotes AS SELECT * FROM (VALUES ${values.map((v, i) => `(${i}, '${v.replaceAll("'", "''")}')`).join(', ')}) AS t(id, v)`,
  );
  const path = join(dir, 'quotes.csv');
  await session.run(
    compileCopySql({
      table: 'quotes',
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'v', type: 'VARCHAR' },
      ],
      format: { kind: 'csv', delimiter: ',', quote: "'", headers: true, listSeparator: '&' },
      compress: 'none',
      orderBy: ['id'],
      path,
    }),
  );
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(`'it''s "q"'`);
  const rows = parse<{ v: string }>(text, { quote: "'", escape: "'", columns: true });
  expect(rows.map((r) => r.v)).toEqual(values);
});

describe.each(['json', 'ndjson'] as const)('%s output', (kind) => {
  // Rows as DuckDB holds them; DESCRIBE gives the types, as write-files does.
  const rows = `SELECT * FROM (VALUES
    (1, 'NaN'::DOUBLE, 'inf'::FLOAT, TIMESTAMPTZ '2026-01-01 00:00:00.123456+00', TIMESTAMP '2026-01-01 00:00:00.654321', TIMESTAMP_NS '2026-01-01 00:00:00.123456789'),
    (2, '-inf'::DOUBLE, 1.5::FLOAT, TIMESTAMPTZ '2026-06-01 12:00:00+02', NULL, NULL),
    (3, 0.25::DOUBLE, NULL, NULL, NULL, NULL)) AS t(id, d, f, tz, ts, ns)`;
  const nested = `SELECT id, d, f, tz, ts, ns, [d, NULL] AS dl, {'d': d, 'tz': tz, 'in': {'l': [tz]}} AS st,
    MAP(['k'], [d]) AS m, [{'x': ts}] AS sl, CASE WHEN id = 3 THEN NULL ELSE {'d': d} END AS ns_struct FROM (${rows})`;

  async function write(): Promise<unknown[]> {
    await session.run(`CREATE OR REPLACE TABLE special AS ${nested}`);
    const described = await session.all(`SELECT column_name, column_type FROM (DESCRIBE special)`);
    const columns = described.map((r) => ({
      name: r['column_name'] as string,
      type: r['column_type'] as string,
    }));
    const path = join(dir, `special.${kind}`);
    await session.run(
      compileCopySql({
        table: 'special',
        columns,
        format: { kind },
        compress: 'none',
        orderBy: ['id'],
        path,
      }),
    );
    const text = readFileSync(path, 'utf8');
    // JSON.parse is the independent reader: it refuses NaN and Infinity anywhere in the text.
    return kind === 'json'
      ? (JSON.parse(text) as unknown[])
      : text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown);
  }

  it('writes NaN and ±Infinity as strings, and timestamps as RFC 3339 with every digit, at any depth', async () => {
    expect(await write()).toEqual([
      {
        id: 1,
        d: 'NaN',
        f: 'Infinity',
        tz: '2026-01-01T00:00:00.123456Z',
        ts: '2026-01-01T00:00:00.654321',
        ns: '2026-01-01T00:00:00.123456789',
        dl: ['NaN', null],
        st: { d: 'NaN', tz: '2026-01-01T00:00:00.123456Z', in: { l: ['2026-01-01T00:00:00.123456Z'] } },
        m: { k: 'NaN' },
        sl: [{ x: '2026-01-01T00:00:00.654321' }],
        ns_struct: { d: 'NaN' },
      },
      {
        id: 2,
        d: '-Infinity',
        f: 1.5,
        tz: '2026-06-01T10:00:00.000000Z',
        ts: null,
        ns: null,
        dl: ['-Infinity', null],
        st: { d: '-Infinity', tz: '2026-06-01T10:00:00.000000Z', in: { l: ['2026-06-01T10:00:00.000000Z'] } },
        m: { k: '-Infinity' },
        sl: [{ x: null }],
        ns_struct: { d: '-Infinity' },
      },
      {
        id: 3,
        d: 0.25,
        f: null,
        tz: null,
        ts: null,
        ns: null,
        dl: [0.25, null],
        st: { d: 0.25, tz: null, in: { l: [null] } },
        m: { k: 0.25 },
        sl: [{ x: null }],
        ns_struct: null,
      },
    ]);
  });
});
