/**
 * The load step's `source` over many files loaded one by one (create-source-relation.ts): past
 * SOURCE_VIEW_MAX_PARTS parts their rows are copied into one table, a few branches at a time, because
 * DuckDB's sort over a union keeps state per branch (a thousand small JSON array files ran out of
 * memory in the write step's ORDER BY). Real DuckDB, with a small memory limit, so a view over as many
 * branches as the test uses would not do.
 */
import { describe, expect, it } from 'vitest';
import type { DuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { createSourceRelation, SOURCE_VIEW_MAX_PARTS } from '../../../engine/steps/create-source-relation.js';
import type { StepContext } from '../../../engine/steps/step-context.js';
import { useScratchSessions } from '../duckdb/duckdb-test-session.js';

const scratch = useScratchSessions('ferry-source-relation-');

/** `n` one-row tables, as files loaded on their own leave them (odd ones with a DOUBLE and an extra column). */
async function parts(session: DuckDbSession, n: number) {
  const selects: string[] = [];
  const ownTables = new Map<number, string>();
  for (let i = 0; i < n; i += 1) {
    const extra = i % 2 === 1 ? `, ${i}.5::DOUBLE AS amount, 'x' AS note` : `, ${i}::BIGINT AS amount`;
    await session.run(`CREATE TABLE raw_${i} AS SELECT ${i}::BIGINT AS id${extra}`);
    ownTables.set(selects.length, `raw_${i}`);
    selects.push(`SELECT *, 'f${i}.json' AS _ferry_file, ${i} + rowid + 1 AS _ferry_row FROM raw_${i}`);
  }
  return { selects, ownTables };
}

async function relationKind(session: DuckDbSession, name: string): Promise<string> {
  const [view] = await session.all(`SELECT count(*) AS n FROM duckdb_views() WHERE view_name = '${name}'`);
  return Number(view?.['n']) > 0 ? 'view' : 'table';
}

describe('the source over many files loaded one by one', () => {
  it('is a table of every row, in file order, whose sort fits a small memory limit', async () => {
    const session = await scratch.open({ memoryLimit: '128MiB', threads: 1 });
    const context = { session, sql: [] } as unknown as StepContext;
    const n = 300; // 150 branches of one row already ran out of 128 MiB in a sort over a view
    const { selects, ownTables } = await parts(session, n);
    await createSourceRelation(context, 'source', selects, ownTables);
    // The write step's shape: every row, ordered (over a view of 300 branches: out of memory).
    const rows = await session.all('SELECT * FROM source ORDER BY _ferry_row');
    expect(await relationKind(session, 'source')).toBe('table');
    expect(rows).toHaveLength(n);
    expect(rows[0]).toEqual({ id: 0n, amount: 0, note: null, _ferry_file: 'f0.json', _ferry_row: 1n });
    // The union's types: BIGINT and DOUBLE make DOUBLE, a column some files lack is NULL in the others.
    expect(rows[3]).toEqual({ id: 3n, amount: 3.5, note: 'x', _ferry_file: 'f3.json', _ferry_row: 4n });
    expect(rows.map((row) => row['id'])).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)));
    // Each file's own table is gone once its rows were copied.
    const [left] = await session.all(
      "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE 'raw_%'",
    );
    expect(Number(left?.['n'])).toBe(0);
  });

  it('stays a view over a few files, whose tables stay', async () => {
    const session = await scratch.open();
    const context = { session, sql: [] } as unknown as StepContext;
    const { selects, ownTables } = await parts(session, SOURCE_VIEW_MAX_PARTS);
    await createSourceRelation(context, 'source', selects, ownTables);
    expect(await relationKind(session, 'source')).toBe('view');
    const [count] = await session.all('SELECT count(*) AS n FROM source');
    expect(Number(count?.['n'])).toBe(SOURCE_VIEW_MAX_PARTS);
  });
});
