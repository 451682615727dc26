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
import { compileDiffSql, DIFF_COLUMN, KEY_COLUMN, type DiffSql } from './compile-diff-sql.js';
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
  const hold = await decideHold(context, sql);
  let held = 0;
  if (hold || (step.tombstones && key)) {
    await runSql(context, 'diff', sql.createGone(hold ?? { holdAll: false, rejectedKeys: false }));
    const [heldRows] = await querySql(context, 'diff', sql.countHeld);
    held = Number(heldRows?.['n'] ?? 0);
  }
  context.counts.rowsAdded += added;
  context.counts.rowsChanged += changed;
  context.counts.rowsUnchanged += unchanged;
  context.counts.rowsRemoved += Number(previousRows?.['n'] ?? 0) - changed - unchanged - held;
  if (hold?.holdAll && held > 0) {
    context.warnings.push({
      code: 'DIFF_REMOVALS_HELD',
      message:
        `This run rejected ${rows(hold.unreadable)} whose key could not be read (rejected before the mapping or by a check, or a key column that did not cast), ` +
        `so none of the ${held} key${held === 1 ? '' : 's'} missing from it ${held === 1 ? 'was' : 'were'} counted as removed${step.tombstones && key ? ' or published as a tombstone' : ''}: ` +
        `a rejected row's key is not absent from the source. They stay in the snapshot; the next run without such rejects removes those still missing (fix the rejected rows, see the run's rejected-rows file).`,
    });
  }

  if (step.tombstones && key) {
    await runSql(context, 'diff', sql.createRemoved);
    const flag = q(step.tombstones);
    const removedKeys = await removedKeyColumns(context, changedTable, key);
    // Removed keys come after the data rows, in key order; their other columns are empty.
    await runSql(
      context,
      'diff',
      `CREATE TABLE ${q(step.table)} AS SELECT * EXCLUDE (${q(DIFF_COLUMN)}), false AS ${flag} FROM ${q(changedTable)} UNION ALL BY NAME ` +
        `SELECT ${removedKeys.join(', ')}, true AS ${flag}, (SELECT coalesce(max(${q(ROW_COLUMN)}), 0) FROM current) + row_number() OVER (ORDER BY ${q(KEY_COLUMN)}) AS ${q(ORDER_COLUMN)} FROM removed`,
    );
    context.columns = [...context.columns, step.tombstones];
  }
  const path = join(context.tempDir, 'snapshot.parquet');
  await runSql(context, 'diff', sql.writeSnapshot(path, { held: held > 0 }));
  context.newSnapshot = { path, rows: current + held, key: key ? [...key] : null };
  context.outputTable = step.table;
  // The changed rows are in source order (a view over the mapped rows, or a table made with ORDER BY);
  // with tombstones a UNION follows, whose order only an ORDER BY pins, and a first run's view that
  // leaves superseded rows out is filtered by a semi join, whose order DuckDB does not pin either.
  const semiJoined = !context.previousSnapshot && duplicates > 0;
  context.outputInOrder = !(step.tombstones && key) && !semiJoined;
}

const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

/**
 * Which snapshot keys missing from this run are held instead of removed. A row rejected this run is
 * still in the source: its key is unknown this run, not absent, so removing it would publish a
 * delete for a record the vendor still sends (mirror holds its deletes for the same reason,
 * merge-dataset-step.ts). A mapped row whose key reads holds that key; a row rejected for an empty
 * key names no record and holds nothing; any other rejected row (before the mapping, by a check,
 * or with a key column that did not cast) could be any key, so every removal waits for a run
 * without such rows. Undefined when this run rejected nothing.
 */
async function decideHold(
  context: StepContext,
  sql: DiffSql,
): Promise<{ holdAll: boolean; rejectedKeys: boolean; unreadable: number } | undefined> {
  if (context.counts.rowsRejected === 0) return undefined;
  await runSql(context, 'diff', sql.createRejectedKeys);
  const [seen] = await querySql(
    context,
    'diff',
    'SELECT count(*) AS n, count(*) FILTER (WHERE NOT readable AND NOT empty) AS unreadable, count(*) FILTER (WHERE readable) AS readable FROM rejected_keys',
  );
  // Rejects the diff's input does not hold (the reader's, the schema step's, a check's) are unreadable.
  const unseen = context.counts.rowsRejected - Number(seen?.['n'] ?? 0);
  const unreadable = unseen + Number(seen?.['unreadable'] ?? 0);
  return { holdAll: unreadable > 0, rejectedKeys: Number(seen?.['readable'] ?? 0) > 0, unreadable };
}

/**
 * The removed keys' columns for the tombstones. The snapshot keeps keys as text, and a UNION with
 * text would make every row's key text (`{"id":"1"}`), so each is cast back to the key's type now.
 * A column is cast only when every removed key converts and reads back as the text the snapshot
 * kept (the key's identity); when the key's type changed since (a removed "a" where ids are now
 * numbers) that column stays text for this run, with a warning, rather than losing the key.
 */
async function removedKeyColumns(
  context: StepContext,
  table: string,
  key: readonly string[],
): Promise<string[]> {
  const described = await querySql(context, 'diff', `DESCRIBE ${q(table)}`);
  const types = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const typed = key.filter((c) => (types.get(c) ?? 'VARCHAR') !== 'VARCHAR');
  if (typed.length === 0) return key.map(q);
  const back = (c: string) => `CAST(TRY_CAST(${q(c)} AS ${types.get(c) ?? 'VARCHAR'}) AS VARCHAR)`;
  const [counted] = await querySql(
    context,
    'diff',
    `SELECT ${typed.map((c, i) => `count(*) FILTER (WHERE ${q(c)} IS NOT NULL AND ${back(c)} IS DISTINCT FROM ${q(c)}) AS n${i}`).join(', ')} FROM removed`,
  );
  const asText = typed.filter((_, i) => Number(counted?.[`n${i}`] ?? 0) > 0);
  for (const c of asText) {
    context.warnings.push({
      code: 'DIFF_TOMBSTONE_KEY_AS_TEXT',
      message: `Key column "${c}" is written as text in this run's output, tombstones and rows alike: a key removed since the previous run does not read as ${types.get(c) ?? ''}, the column's type now (the key's type changed). Consumers reading "${c}" by type should expect text for this run.`,
    });
  }
  return key.map((c) =>
    typed.includes(c) && !asText.includes(c)
      ? `CAST(${q(c)} AS ${types.get(c) ?? 'VARCHAR'}) AS ${q(c)}`
      : q(c),
  );
}
