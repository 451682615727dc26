import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadParquet } from '../../../engine/duckdb/load-parquet.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { ferryErrorOf, openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeEach(async () => {
  t = await openTestSession();
});
afterEach(async () => {
  await t.close();
});

describe('loadParquet', () => {
  it('round-trips a Parquet file written by DuckDB, types included', async () => {
    const file = `${t.dir}/data.parquet`;
    await t.session.run(
      `COPY (SELECT * FROM (VALUES (1, 9007199254740993::BIGINT, 'a', DATE '2024-02-29'), (2, -1, NULL, NULL)) AS v(id, big, "name with space", day))
       TO ${quoteLiteral(file)} (FORMAT parquet)`,
    );
    const result = await loadParquet(t.session, { path: file, table: 'loaded' });
    expect(result).toEqual({
      table: 'loaded',
      columns: ['id', 'big', 'name with space', 'day'],
      rowsLoaded: 2,
    });
    const rows = await t.session.all(
      `SELECT id, big, "name with space" AS name, day::VARCHAR AS day FROM loaded ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, big: 9007199254740993n, name: 'a', day: '2024-02-29' },
      { id: 2, big: -1n, name: null, day: null },
    ]);
  });

  it('fails with PARQUET_READ_FAILED for a file that is not Parquet', async () => {
    const file = await t.write('fake.parquet', 'id,name\n1,a\n');
    const error = await ferryErrorOf(() =>
      loadParquet(t.session, { path: file, table: 'loaded', displayName: 's3://b/fake.parquet' }),
    );
    expect(error.code).toBe('PARQUET_READ_FAILED');
    expect(error.context).toMatchObject({ file: 's3://b/fake.parquet' });
  });
});
