/**
 * Before a merge: this run's columns checked against the dataset (key present, no reserved or
 * undeclared names), and its rows conformed (declared types cast, keys present). A failing row is
 * counted, listed and kept aside with its reason; the rest are the view `conformed_ok`.
 */
import type { Dataset } from '../config/model.js';
import { castInputSql } from '../duckdb/duckdb-type-kind.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import { isListType, isMapType, isStructType } from './compile-copy-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { keepDatasetRejectsSql } from './rejected-rows.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';

/** The column of `conformed` that holds why a row was rejected (NULL for a row that conforms). */
export const REASON_COLUMN = '_ferry_reason';

/**
 * Conform this run's rows to the dataset: declared types cast, keys present. Failing rows are counted,
 * listed and kept aside with the reason; the rest are the view `conformed_ok`.
 */
export async function conformRows(
  context: StepContext,
  dataset: Dataset,
  columns: string[],
  input: string,
): Promise<{ inputTypes: Map<string, string>; rejected: number }> {
  const described = await querySql(context, 'merge-dataset', `DESCRIBE ${q(input)}`);
  const inputTypes = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const cast = (c: string): string => {
    const type = dataset.columns[c];
    if (type === undefined) return q(c);
    // Nested values from JSON or CSV sources arrive as JSON text: read them as JSON.
    const nested = isListType(type) || isMapType(type) || isStructType(type);
    const value =
      nested && inputTypes.get(c) === 'VARCHAR'
        ? `TRY_CAST(${q(c)} AS JSON)`
        : castInputSql(q(c), inputTypes.get(c) ?? 'VARCHAR', type);
    return `TRY_CAST(${value} AS ${type})`;
  };
  const reasons = [
    ...dataset.key.map(
      (c) =>
        `WHEN ${q(c)} IS NULL THEN ${quoteLiteral(`key column "${c}" is empty (dataset ${dataset.name})`)}`,
    ),
    ...columns
      .filter((c) => dataset.columns[c] !== undefined)
      .map(
        (c) =>
          `WHEN ${q(c)} IS NOT NULL AND ${cast(c)} IS NULL THEN ${quoteLiteral(`column "${c}" does not cast to ${dataset.columns[c] ?? ''} (dataset ${dataset.name})`)}`,
      ),
  ];
  await runSql(
    context,
    'merge-dataset',
    `CREATE VIEW conformed AS SELECT ${columns.map((c) => `${cast(c)} AS ${q(c)}`).join(', ')}, ${q(ORDER_COLUMN)}, ` +
      `CASE ${reasons.join(' ')} ELSE NULL END AS ${q(REASON_COLUMN)} FROM ${q(input)}`,
  );
  const [rejectedCount] = await querySql(
    context,
    'merge-dataset',
    `SELECT count(*) AS n FROM conformed WHERE ${q(REASON_COLUMN)} IS NOT NULL`,
  );
  const rejected = Number(rejectedCount?.['n'] ?? 0);
  if (rejected > 0) {
    context.counts.rowsRejected += rejected;
    const room = Math.max(0, MAX_REJECT_DETAILS - context.rejects.length);
    const details = await querySql(
      context,
      'merge-dataset',
      `SELECT ${q(ORDER_COLUMN)} AS row, ${q(REASON_COLUMN)} AS reason FROM conformed WHERE ${q(REASON_COLUMN)} IS NOT NULL ORDER BY 1 LIMIT ${room}`,
    );
    for (const row of details) {
      context.rejects.push({
        file: `dataset:${dataset.name}`,
        line: null,
        row: Number(row['row']),
        reason: String(row['reason']),
      });
    }
    await runSql(
      context,
      'merge-dataset',
      keepDatasetRejectsSql({
        dataset: dataset.name,
        inputTable: input,
        conformedTable: 'conformed',
        columns,
        orderColumn: ORDER_COLUMN,
        reasonColumn: REASON_COLUMN,
      }),
    );
  }
  await runSql(
    context,
    'merge-dataset',
    `CREATE VIEW conformed_ok AS SELECT * EXCLUDE (${q(REASON_COLUMN)}) FROM conformed WHERE ${q(REASON_COLUMN)} IS NULL`,
  );
  return { inputTypes, rejected };
}

/** The run's columns against the dataset: its key present, no reserved name, only declared columns. */
export function checkColumns(
  dataset: Dataset,
  columns: readonly string[],
  context: Record<string, string>,
): void {
  for (const column of dataset.key) {
    if (!columns.includes(column)) {
      throw new FerryError(
        'DATASET_KEY_MISSING',
        `Dataset "${dataset.name}" is keyed by ${dataset.key.join(', ')}, but the pipeline does not produce "${column}".`,
        {
          context,
          hint: 'Rename the source column to the key with mapping.rename, or compute it with mapping.compute.',
        },
      );
    }
  }
  const reserved = columns.filter((c) => c.startsWith('_ferry_'));
  if (reserved.length) {
    throw new FerryError(
      'DATASET_RESERVED_COLUMN',
      `The pipeline produces ${reserved.map((c) => `"${c}"`).join(', ')}; names starting with _ferry_ are reserved for ferry's own columns.`,
      { context, hint: 'Rename the column with mapping.rename.' },
    );
  }
  const declared = Object.keys(dataset.columns);
  const unknown = declared.length ? columns.filter((c) => !declared.includes(c)) : [];
  if (unknown.length) {
    throw new FerryError(
      'DATASET_UNKNOWN_COLUMN',
      `Dataset "${dataset.name}" declares no column ${unknown.map((c) => `"${c}"`).join(', ')}.`,
      {
        context,
        hint: 'Declare the columns in ferry.yaml, drop them with mapping.exclude, or pack them with mapping.rest.',
      },
    );
  }
}
