/**
 * write-files: the rows to publish, written by DuckDB `COPY … TO` into the temp dir — one file, one
 * per part (max_rows_per_file), or for multi-csv one scalar file plus one per list/map field, each
 * row carrying a join key. Nothing leaves the machine here; `plan` stops after this step.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { suggest } from '../config/suggest.js';
import type { S3Sink } from '../config/model.js';
import { MULTI_CSV_ENTRY_COLUMNS } from '../config/check-sink-format-rules.js';
import type { WriteFilesStep } from '../plan/plan-model.js';
import {
  compileCopySql,
  elementTextSql,
  isListType,
  isMapType,
  listElementType,
  mapEntryTypes,
  type ColumnType,
} from './compile-copy-sql.js';
import { compileNonFiniteCountSql } from './compile-json-value-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { prepareEncryption } from './encrypt-outputs.js';
import { renderSinkKeys, type KeyRequest } from './render-sink-keys.js';
import { querySql, runSql, type StepContext } from './step-context.js';
import { explainMappedFailure } from './explain-mapped-failure.js';

export const SCALAR_FIELD_NAME = 'main';

interface FileJob {
  request: KeyRequest;
  /** A table or view name, or `{ sql }`: a relation in SQL (a multi-csv file's rows). */
  table: string | { sql: string };
  columns: ColumnType[];
  format: S3Sink['format'];
  orderBy: string[];
  limit?: number;
  offset?: number;
}

export async function executeWriteFilesStep(context: StepContext, step: WriteFilesStep): Promise<void> {
  // The mapping is a view: a computed column failing on the data fails here, and is named as such.
  await writeFiles(context, step).catch(async (error: unknown) => {
    throw await explainMappedFailure(context, error);
  });
}

async function writeFiles(context: StepContext, step: WriteFilesStep): Promise<void> {
  const sink = context.pipeline.sink;
  if (sink.kind !== 's3') throw new Error('write-files needs an s3 sink');
  const encrypt = await prepareEncryption(context, step);
  const written = context.outputs.length;
  const table = context.outputTable ?? 'output';
  const described = await querySql(context, 'write-files', `DESCRIBE ${q(table)}`);
  const types = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const columns = sinkColumns(context, sink);
  const total = await countRowsToWrite(context, sink, table);
  if (total === 0) return;
  const key = outputKey(context);
  const source = await prepareRowsToWrite(context, sink, { table, columns, total, key });
  const typed = columns.map((name) => ({ name, type: types.get(name) ?? 'VARCHAR' }));
  if (sink.format.kind === 'parquet') refuseHugeIntInParquet(typed, context.pipeline.name);
  if (sink.format.kind === 'json' || sink.format.kind === 'ndjson') {
    await warnNonFiniteNumbers(context, { source, columns: typed });
  }
  const jobs =
    sink.format.kind === 'multi-csv'
      ? planMultiCsv(sink, { source, columns: typed, key, pipeline: context.pipeline.name })
      : planParts(sink, { source, typed, total, inOrder: context.outputInOrder === true });
  const keys = renderSinkKeys({
    sink,
    pipeline: context.pipeline.name,
    runId: context.runId,
    runTime: context.runTime,
    sourceKeys: context.selected.map((c) => c.key),
    requests: jobs.map((j) => j.request),
  });
  for (const [index, job] of jobs.entries()) {
    await writeFileJob(context, sink, job, { index, key: keys[index] ?? '' });
  }
  await encrypt?.(context.outputs.slice(written));
}

/** The columns to write: sink.fields (each must exist), else every output column. */
function sinkColumns(context: StepContext, sink: S3Sink): string[] {
  const columns = context.columns;
  if (!sink.fields) return columns;
  for (const field of sink.fields) {
    if (!columns.includes(field)) {
      const guess = suggest(field, columns);
      throw new FerryError(
        'SINK_UNKNOWN_FIELD',
        `sink.fields names "${field}", which the pipeline does not produce.`,
        {
          context: { pipeline: context.pipeline.name, step: 'write-files' },
          hint: `${guess ? `Did you mean "${guess}"? ` : ''}Columns: ${columns.join(', ')}.`,
        },
      );
    }
  }
  return [...sink.fields];
}

/** Rows to write after sink.limit; sets rowsWritten and warns about rows the limit cut. */
async function countRowsToWrite(context: StepContext, sink: S3Sink, table: string): Promise<number> {
  const [countRow] = await querySql(context, 'write-files', `SELECT count(*) AS n FROM ${q(table)}`);
  const available = Number(countRow?.['n'] ?? 0);
  const total = Math.min(available, sink.limit ?? Infinity);
  context.counts.rowsWritten = total;
  if (total < available) {
    // Rows cut by sink.limit are not published by this run; say so rather than drop them silently.
    context.warnings.push({
      code: 'SINK_LIMIT_REACHED',
      message: `${available - total} of ${available} rows were not written: sink.limit is ${total}.`,
    });
  }
  return total;
}

/**
 * The relation to write from. One plain file is written straight from the output (COPY orders it
 * unless it is already in order), and so are multi-csv's files when the output is in order (each
 * COPY streams it: no copy of the rows). Parts, a limit, and multi-csv from rows not in order first
 * take the rows to write, in order, into their own table (sorted once, not once per file).
 */
async function prepareRowsToWrite(
  context: StepContext,
  sink: S3Sink,
  input: { table: string; columns: readonly string[]; total: number; key: readonly string[] | undefined },
): Promise<string> {
  const inOrder = context.outputInOrder === true;
  const direct =
    sink.limit === undefined &&
    (sink.format.kind === 'multi-csv'
      ? inOrder
      : sink.maxRowsPerFile === undefined || input.total <= sink.maxRowsPerFile);
  if (direct) return input.table;
  const order = inOrder ? '' : ` ORDER BY ${q(ORDER_COLUMN)}`;
  // multi-csv's join key is made from the key columns, whether or not sink.fields lists them.
  const kept = [...new Set([...input.columns, ...(input.key ?? []), ORDER_COLUMN])];
  await runSql(
    context,
    'write-files',
    `CREATE TABLE to_write AS SELECT ${kept.map(q).join(', ')} FROM ${q(input.table)}${order}${sink.limit !== undefined ? ` LIMIT ${sink.limit}` : ''}`,
  );
  return 'to_write';
}

/**
 * DuckDB writes HUGEINT/UHUGEINT to Parquet as DOUBLE (digits lost). validate refuses a declared
 * one (check-declared-types.ts); one made by an expression (mapping.compute) ends here.
 */
function refuseHugeIntInParquet(columns: readonly ColumnType[], pipeline: string): void {
  const huge = columns.find((c) => /\bU?HUGEINT\b/i.test(c.type));
  if (huge === undefined) return;
  throw new FerryError(
    'SINK_HUGEINT_IN_PARQUET',
    `Column "${huge.name}" is ${huge.type}, which DuckDB writes to Parquet as DOUBLE: values past 2^53 would lose digits.`,
    {
      context: { pipeline, step: 'write-files' },
      hint: 'Cast it to DECIMAL(38,0) (exact, up to 38 digits) or VARCHAR (any length) in mapping.compute or mapping.cast.',
    },
  );
}

/**
 * JSON has no NaN or Infinity: the JSON writers write them as strings (compile-json-value-sql.ts).
 * A reader that expects a number there sees a string, so the run says how many there were.
 */
async function warnNonFiniteNumbers(
  context: StepContext,
  input: { source: string; columns: readonly ColumnType[] },
): Promise<void> {
  const counts = input.columns.flatMap((c) => compileNonFiniteCountSql(q(c.name), c.type) ?? []);
  if (counts.length === 0) return;
  // The source holds exactly the rows written (prepareRowsToWrite applies sink.limit).
  const [row] = await querySql(
    context,
    'write-files',
    `SELECT sum(${counts.join(' + ')}) AS n FROM ${q(input.source)}`,
  );
  const n = Number(row?.['n'] ?? 0);
  if (n === 0) return;
  context.warnings.push({
    code: 'JSON_NON_FINITE_NUMBERS',
    message: `${n} floating-point value${n === 1 ? ' was' : 's were'} NaN or ±Infinity, which JSON has no number for: written as the strings "NaN", "Infinity" or "-Infinity".`,
  });
}

/** One file, or one per part of max_rows_per_file. */
function planParts(
  sink: S3Sink,
  input: { source: string; typed: ColumnType[]; total: number; inOrder: boolean },
): FileJob[] {
  const { total } = input;
  const perFile = sink.maxRowsPerFile ?? total;
  const parts = Math.max(1, Math.ceil(total / perFile));
  const jobs: FileJob[] = [];
  for (let part = 0; part < parts; part++) {
    jobs.push({
      request: { part: part + 1 },
      table: input.source,
      columns: input.typed,
      format: sink.format,
      // A single file from rows already in order is copied as it is scanned: no sort.
      orderBy: parts === 1 && input.inOrder ? [] : [ORDER_COLUMN],
      ...(parts > 1 ? { limit: perFile, offset: part * perFile } : {}),
    });
  }
  return jobs;
}

async function writeFileJob(
  context: StepContext,
  sink: S3Sink,
  job: FileJob,
  where: { index: number; key: string },
): Promise<void> {
  const { key } = where;
  const path = join(
    context.tempDir,
    `out-${String(where.index + 1).padStart(4, '0')}${key.slice(key.lastIndexOf('.'))}`,
  );
  // COPY answers the number of rows it wrote.
  const [copied] = await querySql(
    context,
    'write-files',
    compileCopySql({
      table: job.table,
      columns: job.columns,
      format: job.format,
      compress: sink.compress,
      orderBy: job.orderBy,
      ...(job.limit !== undefined ? { limit: job.limit } : {}),
      ...(job.offset !== undefined ? { offset: job.offset } : {}),
      path,
    }),
  );
  const { size } = await stat(path);
  context.outputs.push({
    bucket: sink.bucket,
    key,
    format: job.format.kind,
    rows: Number(Object.values(copied ?? {})[0] ?? 0),
    bytes: size,
    path,
  });
}

/**
 * The columns that identify a row of the output (diff.key, mapping.key, or a one-dataset source's
 * key), when there are.
 */
function outputKey(context: StepContext): readonly string[] | undefined {
  const origin = context.pipeline.source;
  const datasetKey =
    origin.kind === 'dataset' && origin.datasets.length === 1
      ? context.project.datasets[origin.datasets[0] ?? '']?.key
      : undefined;
  const key = context.pipeline.diff?.key ?? context.pipeline.mapping?.key ?? datasetKey;
  return key?.length ? key : undefined;
}

/**
 * The join key is a column of every multi-csv file: an output column of the same name would be
 * overwritten by it (a scalar) or fail to unnest (a list). validate catches the names the
 * pipeline writes itself (check-sink-format-rules.ts); columns that come from the data end here.
 */
function refuseJoinKeyCollision(joinKey: string, columns: readonly ColumnType[], pipeline: string): void {
  const clash = columns.find((c) => c.name === joinKey) ?? MULTI_CSV_ENTRY_COLUMNS.find((c) => c === joinKey);
  if (clash === undefined) return;
  const isColumn = typeof clash !== 'string';
  throw new FerryError(
    'SINK_JOIN_KEY_COLLISION',
    isColumn
      ? `The output has a column "${joinKey}", which is also multi-csv's join_key: the join key would overwrite it.`
      : `multi-csv's join_key "${joinKey}" is a column name of its map and list files.`,
    {
      context: { pipeline, step: 'write-files' },
      hint: isColumn
        ? 'Rename the column (mapping.rename) or set sink.format.join_key to a name the output does not use.'
        : 'Choose another join_key, such as _join_key (the default).',
    },
  );
}

/**
 * multi-csv: scalars in one file; each list or map column in its own file, one row per element.
 * The join key is an MD5 of the row's key columns (mapping.key / diff.key), so it is stable for a
 * given key across exports; without a key it is the row's position and can change between exports.
 *
 * Each file is one COPY of a query over the rows (in order: the output, or to_write): the join key
 * is computed in each (cheaper than a copy of every row with it), and unnest keeps the rows' order
 * and the elements' order within a row, so no file is sorted.
 */
function planMultiCsv(
  sink: S3Sink,
  input: { source: string; columns: ColumnType[]; key: readonly string[] | undefined; pipeline: string },
): FileJob[] {
  if (sink.format.kind !== 'multi-csv') return [];
  const format = sink.format;
  refuseJoinKeyCollision(format.joinKey, input.columns, input.pipeline);
  const joinKey = q(format.joinKey);
  const { source, columns, key } = input;
  const keyExpr = key
    ? `md5(CAST(to_json({${key.map((c) => `${quoteLiteral(c)}: CAST(${q(c)} AS VARCHAR)`).join(', ')}}) AS VARCHAR))`
    : `CAST(${q(ORDER_COLUMN)} AS VARCHAR)`;
  const scalars = columns.filter((c) => !isListType(c.type) && !isMapType(c.type));
  const nested = columns.filter((c) => isListType(c.type) || isMapType(c.type));
  const csv = {
    kind: 'csv' as const,
    delimiter: format.delimiter,
    quote: '"',
    headers: format.headers,
    listSeparator: '&',
  };
  const joinKeyColumn = { name: format.joinKey, type: 'VARCHAR' };
  const jobs: FileJob[] = [
    {
      request: { part: 1, field: SCALAR_FIELD_NAME },
      table: {
        sql: `SELECT ${[`${keyExpr} AS ${joinKey}`, ...scalars.map((c) => q(c.name))].join(', ')} FROM ${q(source)}`,
      },
      columns: [joinKeyColumn, ...scalars],
      format: csv,
      orderBy: [],
    },
  ];
  for (const column of nested) {
    const ref = q(column.name);
    const map = isMapType(column.type);
    const elements = map
      ? `SELECT ${joinKey}, unnest(map_entries(${ref})) AS e FROM (SELECT ${keyExpr} AS ${joinKey}, ${ref} FROM ${q(source)})`
      : `SELECT ${joinKey}, unnest(${ref}) AS e FROM (SELECT ${keyExpr} AS ${joinKey}, ${ref} FROM ${q(source)})`;
    const select = map
      ? `SELECT ${joinKey}, ${elementTextSql('e.key', mapEntryTypes(column.type)?.key)} AS "key", ${elementTextSql('e.value', mapEntryTypes(column.type)?.value)} AS "value" FROM (${elements})`
      : `SELECT ${joinKey}, ${elementTextSql('e', listElementType(column.type))} AS "value" FROM (${elements})`;
    jobs.push({
      request: { part: 1, field: column.name },
      table: { sql: select },
      columns: map
        ? [joinKeyColumn, { name: 'key', type: 'VARCHAR' }, { name: 'value', type: 'VARCHAR' }]
        : [joinKeyColumn, { name: 'value', type: 'VARCHAR' }],
      format: csv,
      orderBy: [],
    });
  }
  return jobs;
}
