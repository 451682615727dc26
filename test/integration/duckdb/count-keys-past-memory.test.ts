/**
 * The diff and the merge count rows sharing a key over every row of the run. With more keys than fit
 * in DuckDB's memory_limit, count(DISTINCT key) failed with Out of Memory (a 100M-row day 1 at the
 * default 640MiB), and so did GROUP BY key; the statements of compile-duplicate-keys-sql.ts sort key
 * hashes, which spills to the temp dir, and count exactly over the rows whose hash is shared. Here 15M
 * keys against 96MB, where count(DISTINCT) failed the same way on the bench machine (2 threads).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDuckDbSession, type DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { compileDiffSql, KEY_COLUMN } from '../../../engine/steps/compile-diff-sql.js';
import {
  compileDuplicateKeysSql,
  countSupersededRows,
} from '../../../engine/steps/compile-duplicate-keys-sql.js';
import { compileMergeSql } from '../../../engine/steps/compile-merge-sql.js';

const KEYS = 15_000_000;
let dir: string;
let session: DuckDbSession;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-count-keys-'));
  session = await createDuckDbSession({ tempDir: dir, memoryLimit: '96MB', threads: 2 });
  // Every key once, and three of them once more (the later rows that supersede them).
  const keys = `SELECT range AS r, CAST(to_json({'id': CAST(range AS VARCHAR)}) AS VARCHAR) AS k FROM range(${KEYS}) UNION ALL SELECT ${KEYS} + range, CAST(to_json({'id': CAST(range * 7 AS VARCHAR)}) AS VARCHAR) FROM range(3)`;
  await session.run(`CREATE TABLE current AS SELECT r AS _ferry_row, k AS ${KEY_COLUMN} FROM (${keys})`);
  // The merge's rows, over the same keys (a view: one table of 15M rows in memory, not two).
  await session.run(
    `CREATE VIEW joined AS SELECT _ferry_row, ${KEY_COLUMN} AS _ferry_k, CASE WHEN _ferry_row % 2 = 0 THEN 'created' ELSE 'updated' END AS _ferry_kind FROM current`,
  );
});
afterAll(async () => {
  session?.close();
  await rm(dir, { recursive: true, force: true });
});

it("counts the diff's superseded rows", async () => {
  const sql = compileDiffSql({
    mappedTable: 'mapped',
    columns: ['id'],
    key: ['id'],
    previousSnapshot: undefined,
  });
  // Three keys seen twice: three hash twins (no two of 15M keys share a 64-bit hash here) and three
  // superseded rows, counted exactly over the six rows of those hashes.
  expect(await session.all(sql.superseded.countHashTwins)).toEqual([{ n: 3n }]);
  expect(await session.all(sql.superseded.countSuperseded)).toEqual([{ n: 3n }]);
});

it('skips the exact count when every key is unique', async () => {
  await session.run(`CREATE VIEW unique_current AS SELECT * FROM current WHERE _ferry_row < ${KEYS}`);
  const statements: string[] = [];
  const superseded = await countSupersededRows(
    compileDuplicateKeysSql('unique_current', KEY_COLUMN),
    async (statement) => {
      statements.push(statement);
      const [row] = await session.all(statement);
      return Number(row?.['n']);
    },
  );
  expect(superseded).toBe(0);
  expect(statements).toHaveLength(1);
});

it("counts the merge's superseded rows and kinds", async () => {
  const sql = compileMergeSql({
    incomingTable: 'incoming',
    incomingColumns: ['id'],
    rowColumn: '_ferry_row',
    currentFile: undefined,
    currentColumns: [],
    key: ['id'],
    mode: 'upsert',
    version: 1,
    runTime: new Date('2024-05-01T00:00:00Z'),
  });
  expect(await session.all(sql.superseded.countSuperseded)).toEqual([{ n: 3n }]);
  const [counts] = await session.all(sql.countJoined);
  expect(counts).toMatchObject({
    created: BigInt(KEYS / 2 + 2),
    updated: BigInt(KEYS / 2 + 1),
  });
});
