/**
 * diff: compare this run's rows with the previous run's snapshot and pass on only added and changed
 * rows (plus tombstones for removed keys, when configured). The new snapshot is written to the temp
 * dir; `apply` commits it to state after every output is verified.
 */
import { importTimeOf } from './import-time.js';
import { join } from 'node:path';
import { quoteIdent as q } from '../duckdb/sql.js';
import { isFerryError } from '../errors/ferry-error.js';
import type { DiffStep } from '../plan/plan-model.js';
import { compileDiffSql, DIFF_COLUMN, KEY_COLUMN } from './compile-diff-sql.js';
import { countSupersededRows } from './compile-duplicate-keys-sql.js';
import { ROW_COLUMN } from './compile-mapping-sql.js';
import { querySql, runSql, type StepContext } from './step-context.js';

export const ORDER_COLUMN = '_ferry_order';

export async function executeDiffStep(context: StepContext, step: DiffStep): Promise<void> {
  if (context.columns.length === 0) {
    // Nothing was loaded (every file empty and skipped): an empty file is not an empty snapshot, so
    // nothing is compared, nothing counts as removed, and the previous snapshot stays.
    return;
  }
  const key = step.key;
  const sql = compileDiffSql({
    mappedTable: context.outputTable ?? 'mapped',
    columns: context.columns,
    key,
    previousSnapshot: context.previousSnapshot,
    importTime: importTimeOf(context.pipeline.mapping, context.runTime),
    compare: context.largeRun === true ? 'digest' : 'text',
  });
  await runSql(context, 'diff', sql.createCurrent).catch(async (error: unknown) => {
    // The mapping view runs here first: a computed column failing on the data is the mapping's error.
    const explain = context.explainMappingFailure;
    throw isFerryError(error) && error.code === 'DUCKDB_ERROR' && explain ? await explain(error) : error;
  });
  const duplicates = await countSupersededRows(sql.superseded, async (statement) => {
    const [row] = await querySql(context, 'diff', statement);
    return Number(row?.['n'] ?? 0);
  });
  if (duplicates > 0) {
    await runSql(context, 'diff', sql.dropSuperseded);
    context.warnings.push({
      code: 'DIFF_DUPLICATE_KEY',
      message: `${duplicates} row${duplicates === 1 ? '' : 's'} had the same ${key ? `key (${key.join(', ')})` : 'content'} as a later row and ${duplicates === 1 ? 'was' : 'were'} superseded by it.`,
    });
  }
  // Only added and changed rows are materialized; the other counts follow from the totals
  // (snapshot keys are unique): unchanged = current − added − changed, removed = previous − changed − unchanged.
  const changedTable = step.tombstones && key ? 'changed_rows' : step.table;
  for (const statement of sql.createChanged(changedTable, context.columns, ORDER_COLUMN, {
    superseded: duplicates > 0,
  })) {
    await runSql(context, 'diff', statement);
  }
  let added = 0;
  let changed = 0;
  for (const row of await querySql(
    context,
    'diff',
    `SELECT ${q(DIFF_COLUMN)} AS kind, count(*) AS n FROM ${q(changedTable)} GROUP BY 1`,
  )) {
    if (row['kind'] === 'added') added = Number(row['n']);
    else changed = Number(row['n']);
  }
  const [currentRows] = await querySql(context, 'diff', 'SELECT count(*) AS n FROM current');
  const [previousRows] = await querySql(context, 'diff', sql.countPrevious);
  const current = Number(currentRows?.['n'] ?? 0);
  const unchanged = current - added - changed;
  context.counts.rowsAdded += added;
  context.counts.rowsChanged += changed;
  context.counts.rowsUnchanged += unchanged;
  context.counts.rowsRemoved += Number(previousRows?.['n'] ?? 0) - changed - unchanged;

  if (step.tombstones && key) {
    await runSql(context, 'diff', sql.createRemoved);
    const flag = q(step.tombstones);
    // Removed keys come after the data rows, in key order; their other columns are empty.
    await runSql(
      context,
      'diff',
      `CREATE TABLE ${q(step.table)} AS SELECT * EXCLUDE (${q(DIFF_COLUMN)}), false AS ${flag} FROM ${q(changedTable)} UNION ALL BY NAME ` +
        `SELECT ${key.map((c) => `${q(c)}`).join(', ')}, true AS ${flag}, (SELECT coalesce(max(${q(ROW_COLUMN)}), 0) FROM current) + row_number() OVER (ORDER BY ${q(KEY_COLUMN)}) AS ${q(ORDER_COLUMN)} FROM removed`,
    );
    context.columns = [...context.columns, step.tombstones];
  }
  const path = join(context.tempDir, 'snapshot.parquet');
  await runSql(context, 'diff', sql.writeSnapshot(path));
  context.newSnapshot = { path, rows: current, key: key ? [...key] : null };
  context.outputTable = step.table;
  // The changed rows are in source order (a view over the mapped rows, or a table made with ORDER BY);
  // with tombstones a UNION follows, whose order only an ORDER BY pins, and a first run's view that
  // leaves superseded rows out is filtered by a semi join, whose order DuckDB does not pin either.
  const semiJoined = !context.previousSnapshot && duplicates > 0;
  context.outputInOrder = !(step.tombstones && key) && !semiJoined;
}
