/**
 * The load step's `source`: every loaded file's rows, one SELECT per file loaded on its own and one per
 * batch, in one UNION ALL BY NAME. Usually a view, so the rows are read once, by the mapping, instead
 * of being copied first. But DuckDB keeps state for each branch of a union in the statements that
 * read it: a sort over 1,000 branches of one row each (the write step's ORDER BY) ran out of 640 MiB
 * (at about 800 branches with one thread; about 0.8 MiB a branch, so 150 branches fail at 128 MiB), and
 * a run of a thousand small JSON array files failed with RUN_MEMORY_EXCEEDED. With more than
 * SOURCE_VIEW_MAX_PARTS parts the rows are copied into one table instead, SOURCE_VIEW_MAX_PARTS
 * branches at a time, and each file's own table is dropped once copied.
 */
import { quoteIdent as q } from '../duckdb/sql.js';
import { runSql, type StepContext } from './step-context.js';

/** The most SELECTs `source` is a view over; more are copied into a table. */
export const SOURCE_VIEW_MAX_PARTS = 32;

/**
 * Creates `table` over `selects` (in file order, their columns matched by name): a view, or a table
 * with their rows. `ownTables` are the tables of files loaded on their own, dropped once their rows are
 * copied (a batch's table may hold other files' rows, and is left).
 */
export async function createSourceRelation(
  context: StepContext,
  table: string,
  selects: readonly string[],
  ownTables: ReadonlyMap<number, string>,
): Promise<void> {
  if (selects.length <= SOURCE_VIEW_MAX_PARTS) {
    await runSql(context, 'load', `CREATE VIEW ${q(table)} AS ${selects.join(' UNION ALL BY NAME ')}`);
    return;
  }
  // The columns and types of the whole union (binding only: LIMIT 0 reads no row).
  await runSql(
    context,
    'load',
    `CREATE TABLE ${q(table)} AS SELECT * FROM (${selects.join(' UNION ALL BY NAME ')}) LIMIT 0`,
  );
  for (let start = 0; start < selects.length; start += SOURCE_VIEW_MAX_PARTS) {
    const end = Math.min(start + SOURCE_VIEW_MAX_PARTS, selects.length);
    await runSql(
      context,
      'load',
      `INSERT INTO ${q(table)} BY NAME ${selects.slice(start, end).join(' UNION ALL BY NAME ')}`,
    );
    // Housekeeping, not part of the plan's SQL (as load-csv.ts drops its rejects tables).
    for (let i = start; i < end; i += 1) {
      const own = ownTables.get(i);
      if (own !== undefined) await context.session.run(`DROP TABLE ${q(own)}`);
    }
  }
}
