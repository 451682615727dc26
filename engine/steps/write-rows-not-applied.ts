/**
 * A dataset sink's `rejects`: the rows a merge did not apply (rejected by conformRows, unmatched for
 * update, existing for insert), written aside as one CSV output in source row order, with the reason.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSink } from '../config/model.js';
import { isJsonType } from '../duckdb/duckdb-type-kind.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import type { MergeDatasetStep } from '../plan/plan-model.js';
import { renderOutputKey } from '../plan/render-output-key.js';
import { formatTimestamp } from '../time/timestamp-format.js';
import { csvColumnExpr, isListType, isMapType, isStructType } from './compile-copy-sql.js';
import type { MergeSql } from './compile-merge-sql.js';
import { REASON_COLUMN } from './conform-dataset-rows.js';
import type { DatasetEffect } from './dataset-context.js';
import { ORDER_COLUMN } from './diff-step.js';
import { querySql, runSql, type StepContext } from './step-context.js';

/** Rows that cannot be applied (rejected, unmatched for update, existing for insert), written aside as one CSV output. */
export async function writeRowsNotApplied(
  context: StepContext,
  run: {
    sql: MergeSql;
    step: MergeDatasetStep;
    effect: DatasetEffect;
    columns: string[];
    input: string;
    inputTypes: Map<string, string>;
    rejected: number;
  },
): Promise<void> {
  const { sql, step, effect, columns, input, inputTypes, rejected } = run;
  const sink = context.pipeline.sink as DatasetSink;
  const pipeline = context.pipeline.name;
  const notApplied = step.mode === 'update' || step.mode === 'insert';
  if (!sink.rejects || (rejected === 0 && !(notApplied && effect.unmatched + effect.skipped > 0))) return;
  const parts: string[] = [];
  if (rejected > 0) {
    parts.push(
      `SELECT ${q(ORDER_COLUMN)} AS "_ferry_row", ${columns.map((c) => csvValue(c, inputTypes.get(c))).join(', ')}, r.${q(REASON_COLUMN)} ` +
        `FROM ${q(input)} JOIN (SELECT ${q(ORDER_COLUMN)} AS _o, ${q(REASON_COLUMN)} FROM conformed WHERE ${q(REASON_COLUMN)} IS NOT NULL) r ON r._o = ${q(ORDER_COLUMN)}`,
    );
  }
  if (notApplied && effect.unmatched + effect.skipped > 0) {
    await runSql(context, 'merge-dataset', sql.createNotApplied);
    const types = new Map(
      (await querySql(context, 'merge-dataset', 'DESCRIBE not_applied')).map((r) => [
        String(r['column_name']),
        String(r['column_type']),
      ]),
    );
    parts.push(
      `SELECT ${q(ORDER_COLUMN)} AS "_ferry_row", ${columns.map((c) => csvValue(c, types.get(c))).join(', ')}, ${q(REASON_COLUMN)} FROM not_applied`,
    );
  }
  const key = renderOutputKey({
    directory: sink.rejects.directory,
    template: '{{pipeline}}-rejects-{{timestamp}}.csv',
    variables: { pipeline, timestamp: formatTimestamp(context.runTime, 'YYYYMMDDHHmmss', 'UTC') },
    pipeline,
  });
  const local = join(context.tempDir, 'dataset-rejects.csv');
  await runSql(
    context,
    'merge-dataset',
    `COPY (SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY "_ferry_row") TO ${quoteLiteral(local)} (FORMAT csv, HEADER true)`,
  );
  const { size } = await stat(local);
  context.outputs.push({
    bucket: sink.rejects.bucket,
    key,
    format: 'csv',
    rows: rejected + (notApplied ? effect.unmatched + effect.skipped : 0),
    bytes: size,
    path: local,
    connection: sink.rejects.connection,
  });
}

/** A column as CSV text (lists and maps joined by `&`, as in flat CSV exports). */
function csvValue(column: string, type = 'VARCHAR'): string {
  return isListType(type) || isMapType(type) || isStructType(type) || isJsonType(type)
    ? csvColumnExpr({ name: column, type }, '&')
    : `CAST(${q(column)} AS VARCHAR) AS ${q(column)}`;
}
