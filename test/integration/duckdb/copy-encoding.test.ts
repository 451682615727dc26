import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
    at: '2026-11-21T11:04:42.500Z',
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
  const rows = parse(text, { quote: "'", escape: "'", columns: true }) as { v: string }[];
  expect(rows.map((r) => r.v)).toEqual(values);
});
