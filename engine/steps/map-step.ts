/**
 * map: fields, renames, casts, computed columns, the event timestamp and the rest-as-traits map,
 * in one SQL statement. Rows that fail a cast, a timestamp or a required column are rejected with
 * file, row and reason, so rows read = rows mapped + rows rejected; they count against the file's
 * max_rejects budget together with the reader's rejects.
 */
import { enforceMaxRejects } from '../duckdb/enforce-max-rejects.js';
import { findUnstableCalls } from '../duckdb/find-unstable-calls.js';
import type { FerryError } from '../errors/ferry-error.js';
import { quoteIdent as q } from '../duckdb/sql.js';
import { formatS3Uri } from '../io/s3/wrap-s3-error.js';
import type { MapStep } from '../plan/plan-model.js';
import { compileMappingSql, FILE_COLUMN, REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { explainMappingFailure } from './explain-mapping-failure.js';
import { keepMappedRejectsSql } from './rejected-rows.js';
import { MAX_REJECT_DETAILS, querySql, recordOfRow, runSql, type StepContext } from './step-context.js';

export async function executeMapStep(context: StepContext, step: MapStep): Promise<void> {
  if (context.sourceColumns.length === 0) {
    // Nothing was loaded (every file empty under empty_file: skip): there are no columns to check the
    // mapping against and no rows to map. Later steps see an empty output; diff keeps its snapshot.
    await runSql(
      context,
      'map',
      `CREATE TABLE ${q(step.table)} (${q(FILE_COLUMN)} VARCHAR, ${q(ROW_COLUMN)} BIGINT, ${q(REJECT_COLUMN)} VARCHAR)`,
    );
    context.columns = [];
    await runSql(
      context,
      'map',
      `CREATE VIEW ${q('output')} AS SELECT ${q(ROW_COLUMN)} AS ${q(ORDER_COLUMN)} FROM ${q(step.table)}`,
    );
    context.outputTable = 'output';
    return;
  }
  const described = await querySql(context, 'map', `DESCRIBE ${q('source')}`);
  // The diff's key, as the plan's diff step takes it (compile-plan.ts).
  const diff = context.pipeline.diff;
  const diffKey = diff ? (diff.key ?? context.pipeline.mapping?.key) : undefined;
  const input = {
    mapping: context.pipeline.mapping,
    inputTable: 'source',
    outputTable: step.table,
    columns: context.sourceColumns,
    columnTypes: Object.fromEntries(
      described.map((r) => [String(r['column_name']), String(r['column_type'])]),
    ),
    pipeline: context.pipeline.name,
    timezone: context.pipeline.mapping?.timestamp?.timezone ?? 'UTC',
    importTime: context.runTime,
    ...(diffKey ? { keyColumns: diffKey } : {}),
  };
  // The mapped rows are streamed by whoever reads them (a diff's hash pass, a merge's join, the
  // COPYs of write-files, each reading only its columns): a view saves a full copy of every row.
  // Checks read them once per check: a table then, unless a diff follows (as before).
  const streamed = Boolean(context.pipeline.diff) || !context.pipeline.checks?.length;
  let compiled = compileMappingSql({ ...input, relation: streamed ? 'view' : 'table' });
  // But a view runs the mapping again in every statement that reads it: a computed column calling
  // uuid(), random() or now() would differ between them (a multi-CSV join key between its files, a
  // diff's hash and the row it writes). Such a mapping is evaluated once, into a table. Computed
  // columns are the mapping's only SQL of the user's; ferry's own calls none (the import time is a
  // literal), so DuckDB is asked only when there are some.
  const computes = Object.keys(context.pipeline.mapping?.compute ?? {}).length > 0;
  const asView =
    streamed && (!computes || (await findUnstableCalls(context.session, compiled.select)).length === 0);
  if (streamed && !asView) compiled = compileMappingSql({ ...input, relation: 'table' });
  const explain = (error: unknown): Promise<FerryError> =>
    explainMappingFailure(context.session, {
      error,
      mapping: context.pipeline.mapping,
      computeScope: compiled.computeScope,
      pipeline: context.pipeline.name,
    });
  await runSql(context, 'map', compiled.createStage).catch(async (error: unknown) => {
    throw await explain(error);
  });
  // A view's computed columns first run in the statement that reads it: explain a failure there too.
  if (asView) context.explainMappingFailure = explain;
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
      const file = String(row['file']);
      context.rejects.push({
        file,
        line: recordOfRow(
          context.loadedFiles?.find((f) => f.key === file),
          Number(row['row']),
        ),
        row: Number(row['row']),
        reason: String(row['reason']),
      });
    }
    // All of them, with the source record, kept for the run's rejected-rows file.
    await runSql(
      context,
      'map',
      keepMappedRejectsSql({
        mappedTable: step.table,
        sourceTable: 'source',
        sourceColumns: context.sourceColumns,
        files: context.loadedFiles ?? [],
      }),
    );
    await enforceFileBudgets(context, step.table);
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
    // A filter over the mapped table, which is in source order when one file was loaded (the order of a
    // UNION of several is not pinned without an ORDER BY).
    context.outputInOrder =
      context.pipeline.source.kind === 's3' &&
      (context.loadedFiles ?? []).filter((f) => f.rowsLoaded > 0).length <= 1;
  }
}

/**
 * max_rejects is a budget per file for every rejected row, whether the reader rejected it (ragged,
 * bad quoting) or the mapping did (a cast, a timestamp, a required column): a file over budget fails
 * the run, as the load step does for reader rejects alone.
 */
async function enforceFileBudgets(context: StepContext, table: string): Promise<void> {
  const source = context.pipeline.source;
  if (source.kind !== 's3' || source.format.kind === 'parquet') return;
  const { maxRejects } = source.format;
  const format = source.format.kind === 'csv' ? 'CSV' : 'JSON';
  const perFile = await querySql(
    context,
    'map',
    `SELECT ${q(FILE_COLUMN)} AS file, count(*) AS n FROM ${q(table)} WHERE ${q(REJECT_COLUMN)} IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  for (const row of perFile) {
    const key = String(row['file']);
    const mapped = Number(row['n']);
    const loaded = context.loadedFiles?.find((f) => f.key === key);
    enforceMaxRejects({
      format,
      displayName: formatS3Uri(source.bucket, key),
      rowsLoaded: (loaded?.rowsLoaded ?? mapped) - mapped,
      rowsRejected: (loaded?.rowsRejected ?? 0) + mapped,
      maxRejects,
    });
  }
}
