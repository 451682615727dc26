/**
 * map: fields, renames, casts, computed columns, the event timestamp and the rest-as-traits map,
 * in one SQL statement. Rows that fail a cast, a timestamp or a required column are rejected with
 * file, row and reason, so rows read = rows mapped + rows rejected.
 */
import { quoteIdent as q } from '../duckdb/sql.js';
import type { MapStep } from '../plan/plan-model.js';
import { compileMappingSql, FILE_COLUMN, REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';

export async function executeMapStep(context: StepContext, step: MapStep): Promise<void> {
  const compiled = compileMappingSql({
    mapping: context.pipeline.mapping,
    inputTable: 'source',
    outputTable: step.table,
    columns: context.sourceColumns,
    pipeline: context.pipeline.name,
    timezone: context.project.defaults.timezone,
  });
  await runSql(context, 'map', compiled.createStage);
  context.columns = compiled.columns;
  const [count] = await querySql(
    context,
    'map',
    `SELECT count(*) AS n FROM ${q(step.table)} WHERE ${q(REJECT_COLUMN)} IS NOT NULL`,
  );
  const rejected = Number(count?.['n'] ?? 0);
  if (rejected > 0) {
    context.counts.rowsRejected += rejected;
    const room = Math.max(0, MAX_REJECT_DETAILS - context.rejects.length);
    const rows = await querySql(
      context,
      'map',
      `SELECT ${q(FILE_COLUMN)} AS file, ${q(ROW_COLUMN)} AS row, ${q(REJECT_COLUMN)} AS reason FROM ${q(step.table)} WHERE ${q(REJECT_COLUMN)} IS NOT NULL ORDER BY ${q(ROW_COLUMN)} LIMIT ${room}`,
    );
    for (const row of rows) {
      context.rejects.push({
        file: String(row['file']),
        line: null,
        row: Number(row['row']),
        reason: String(row['reason']),
      });
    }
  }
  if (context.pipeline.diff) {
    context.outputTable = step.table;
  } else {
    // Without a diff every valid row is published, in source order.
    await runSql(
      context,
      'map',
      `CREATE VIEW ${q('output')} AS SELECT ${[...compiled.columns.map(q), `${q(ROW_COLUMN)} AS ${q(ORDER_COLUMN)}`].join(', ')} FROM ${q(step.table)} WHERE ${q(REJECT_COLUMN)} IS NULL`,
    );
    context.outputTable = 'output';
  }
}
