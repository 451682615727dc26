/** Which functions of a mapping's SELECT give another value in each statement that reads a view of it. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findUnstableCalls } from '../../../engine/duckdb/find-unstable-calls.js';
import { openTestSession, type DuckDbTestSession } from './duckdb-test-session.js';

let t: DuckDbTestSession;
beforeAll(async () => {
  t = await openTestSession();
  await t.session.run('CREATE TABLE t (a VARCHAR, b VARCHAR)');
});
afterAll(async () => {
  await t?.close();
});

it.each([
  ['SELECT upper(a) || lower(b), CAST(a AS INTEGER), md5(b) FROM t', []],
  ['SELECT a, CAST(uuid() AS VARCHAR) AS id FROM t', ['uuid']],
  ['SELECT a, RANDOM() * 10 AS r, now() AS at FROM (SELECT a FROM t) AS m', ['now', 'random']],
  ['SELECT a FROM t WHERE b > current_date::VARCHAR', ['current_date']],
  ['SELECT localtime AS t FROM t', ['localtime']],
  [
    'SELECT CURRENT_TIMESTAMP AS at, Gen_Random_UUID() AS id FROM t',
    ['current_timestamp', 'gen_random_uuid'],
  ],
  // A string that merely reads like a call is not one.
  ["SELECT 'uuid()' AS note FROM t", []],
  // Does not parse: the statement itself will fail where it runs, with DuckDB's message.
  ['SELECT uuid( FROM t', []],
] as const)('%s', async (select, expected) => {
  expect(await findUnstableCalls(t.session, select)).toEqual(expected);
});
