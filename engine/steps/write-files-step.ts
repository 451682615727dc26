/**
 * write-files: the rows to publish, written by DuckDB `COPY … TO` into the temp dir — one file, one
 * per part (max_rows_per_file), or for multi-csv one scalar file plus one per list/map field, each
 * row carrying a join key. Nothing leaves the machine here; `plan` stops after this step.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import { anyTextValueSql } from '../duckdb/duckdb-type-kind.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { suggest } from '../config/suggest.js';
import type { S3Sink } from '../config/model.js';
import type { WriteFilesStep } from '../plan/plan-model.js';
import { compileCopySql, isListType, isMapType, type ColumnType } from './compile-copy-sql.js';
import { ORDER_COLUMN } from './diff-step.js';
import { prepareEncryption } from './encrypt-outputs.js';
import { renderSinkKeys, type KeyRequest } from './render-sink-keys.js';
import { querySql, runSql, type StepContext } from './step-context.js';

export const SCALAR_FIELD_NAME = 'main';

interface FileJob {
  request: KeyRequest;
  table: string;
  columns: ColumnType[];
  format: S3Sink['format'];
  orderBy: string[];
  limit?: number;
  offset?: number;
  rows: number;
}

export async function executeWriteFilesStep(context: StepContext, step: WriteFilesStep): Promise<void> {
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
  const source = await prepareRowsToWrite(context, sink, { table, columns, total });
  const typed = columns.map((name) => ({ name, type: types.get(name) ?? 'VARCHAR' }));
  const jobs =
    sink.format.kind === 'multi-csv'
      ? await planMultiCsv(context, sink, source, typed, total)
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
 * unless it is already in order); parts, a limit and multi-csv first take the rows to write, in
 * order, into their own table.
 */
async function prepareRowsToWrite(
  context: StepContext,
  sink: S3Sink,
  input: { table: string; columns: readonly string[]; total: number },
): Promise<string> {
  const direct =
    sink.format.kind !== 'multi-csv' &&
    sink.limit === undefined &&
    (sink.maxRowsPerFile === undefined || input.total <= sink.maxRowsPerFile);
  if (direct) return input.table;
  const order = context.outputInOrder === true ? '' : ` ORDER BY ${q(ORDER_COLUMN)}`;
  await runSql(
    context,
    'write-files',
    `CREATE TABLE to_write AS SELECT ${[...input.columns, ORDER_COLUMN].map(q).join(', ')} FROM ${q(input.table)}${order}${sink.limit !== undefined ? ` LIMIT ${sink.limit}` : ''}`,
  );
  return 'to_write';
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
      rows: Math.min(perFile, total - part * perFile),
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
  await runSql(
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
    rows: job.rows,
    bytes: size,
    path,
  });
}

/**
 * multi-csv: scalars in one file; each list or map column in its own file, one row per element.
 * The join key is an MD5 of the row's key columns (mapping.key / diff.key), so it is stable for a
 * given key across exports; without a key it is the row's position and can change between exports.
 */
async function planMultiCsv(
  context: StepContext,
  sink: S3Sink,
  source: string,
  columns: ColumnType[],
  total: number,
): Promise<FileJob[]> {
  if (sink.format.kind !== 'multi-csv') return [];
  const format = sink.format;
  const joinKey = format.joinKey;
  const origin = context.pipeline.source;
  const datasetKey =
    origin.kind === 'dataset' && origin.datasets.length === 1
      ? context.project.datasets[origin.datasets[0] ?? '']?.key
      : undefined;
  const key = context.pipeline.diff?.key ?? context.pipeline.mapping?.key ?? datasetKey;
  const keyExpr = key?.length
    ? `md5(CAST(to_json({${key.map((c) => `${quoteLiteral(c)}: CAST(${q(c)} AS VARCHAR)`).join(', ')}}) AS VARCHAR))`
    : `CAST(${q(ORDER_COLUMN)} AS VARCHAR)`;
  await runSql(
    context,
    'write-files',
    `CREATE TABLE multi_base AS SELECT ${keyExpr} AS ${q(joinKey)}, * FROM ${q(source)}`,
  );
  const scalars = columns.filter((c) => !isListType(c.type) && !isMapType(c.type));
  const nested = columns.filter((c) => isListType(c.type) || isMapType(c.type));
  const csv = {
    kind: 'csv' as const,
    delimiter: format.delimiter,
    quote: '"',
    headers: format.headers,
    listSeparator: '&',
  };
  const jobs: FileJob[] = [
    {
      request: { part: 1, field: SCALAR_FIELD_NAME },
      table: 'multi_base',
      columns: [{ name: joinKey, type: 'VARCHAR' }, ...scalars],
      format: csv,
      // to_write, multi_base and the field tables below are each made in order (ORDER BY, then plain
      // scans and unnest, which keep insertion order): their files need no sort.
      orderBy: [],
      rows: total,
    },
  ];
  for (const [index, column] of nested.entries()) {
    const table = `multi_field_${index}`;
    const ref = q(column.name);
    const select = isMapType(column.type)
      ? `SELECT ${q(joinKey)}, ${anyTextValueSql('e.key')} AS "key", ${anyTextValueSql('e.value')} AS "value", ${q(ORDER_COLUMN)}, e.i AS _ferry_i FROM (SELECT ${q(joinKey)}, ${q(ORDER_COLUMN)}, unnest(list_transform(map_entries(${ref}), (_ferry_x, _ferry_i) -> {'key': _ferry_x.key, 'value': _ferry_x.value, 'i': _ferry_i})) AS e FROM multi_base)`
      : `SELECT ${q(joinKey)}, ${anyTextValueSql('e.v')} AS "value", ${q(ORDER_COLUMN)}, e.i AS _ferry_i FROM (SELECT ${q(joinKey)}, ${q(ORDER_COLUMN)}, unnest(list_transform(${ref}, (_ferry_x, _ferry_i) -> {'v': _ferry_x, 'i': _ferry_i})) AS e FROM multi_base)`;
    await runSql(context, 'write-files', `CREATE TABLE ${q(table)} AS ${select}`);
    const [row] = await querySql(context, 'write-files', `SELECT count(*) AS n FROM ${q(table)}`);
    jobs.push({
      request: { part: 1, field: column.name },
      table,
      columns: isMapType(column.type)
        ? [
            { name: joinKey, type: 'VARCHAR' },
            { name: 'key', type: 'VARCHAR' },
            { name: 'value', type: 'VARCHAR' },
          ]
        : [
            { name: joinKey, type: 'VARCHAR' },
            { name: 'value', type: 'VARCHAR' },
          ],
      format: csv,
      orderBy: [],
      rows: Number(row?.['n'] ?? 0),
    });
  }
  return jobs;
}
