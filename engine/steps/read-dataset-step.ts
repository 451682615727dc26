/**
 * read-dataset: the export side. The current version of each dataset (copied into the temp dir),
 * filtered by the segment's predicate and `where`, by `since_last_run` (rows whose version is newer
 * than the last one this pipeline exported), in key order, limited — into the `source` table that
 * the mapping and file steps read, exactly as for a file source.
 *
 * since_last_run compares version numbers, which only means "changed since" while the exported
 * version is in the current version's history. After a rollback past it, rows the consumer has seen
 * in a newer state were put back, with old version numbers: that run exports every row instead.
 */
import { join } from 'node:path';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import type { Dataset, DatasetSource } from '../config/model.js';
import { isAncestorVersion } from '../state/dataset-store.js';
import { FILE_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { DATASET_INTERNAL_COLUMNS, VERSION_COLUMN } from './compile-merge-sql.js';
import type { DatasetContext } from './dataset-context.js';
import { querySql, runSql, type StepContext } from './step-context.js';

export const DATASET_COLUMN = '_dataset';

export async function executeReadDatasetStep(
  context: StepContext,
  datasets: DatasetContext,
  table: string,
): Promise<void> {
  const source = context.pipeline.source as DatasetSource;
  const { project } = context;
  const segment = source.segment !== undefined ? project.segments[source.segment] : undefined;
  const segmentsField = context.pipeline.sink.kind === 's3' ? context.pipeline.sink.segmentsField : undefined;
  const several = source.datasets.length > 1;
  const parts: string[] = [];
  let offset = 0;
  const columns: string[] = [];
  for (const [index, name] of source.datasets.entries()) {
    const dataset = project.datasets[name];
    const manifest = datasets.manifests.get(name);
    if (!dataset || !manifest) throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${name}".`);
    const local = join(context.tempDir, `dataset-${index}.parquet`);
    const file = await datasets.fetchCurrent(name, local);
    datasets.nextWatermarks[name] = manifest.current ?? 0;
    const filters: string[] = [];
    if (segment && segment.dataset === name) filters.push(`(${segment.where})`);
    if (segment && segment.dataset !== name) filters.push('false');
    if (source.where !== undefined) filters.push(`(${source.where})`);
    const watermark = datasets.watermarks[name];
    if (source.sinceLastRun && watermark !== undefined && manifest.current !== null) {
      if (isAncestorVersion(manifest, watermark, manifest.current)) {
        filters.push(`${q(VERSION_COLUMN)} > ${watermark}`);
      } else {
        context.warnings.push({
          code: 'EXPORT_FULL_AFTER_ROLLBACK',
          message: `Dataset ${name} was rolled back past version ${watermark}, which this pipeline exported last; every row is exported again so the consumer gets the restored values.`,
        });
      }
    }
    const stage = `dataset_${index}`;
    const extra = [
      ...(segmentsField !== undefined ? [`${segmentMembership(context, name)} AS ${q(segmentsField)}`] : []),
      ...(several ? [`${quoteLiteral(name)} AS ${q(DATASET_COLUMN)}`] : []),
    ];
    let from: string;
    if (file) {
      // A declared column no pipeline has written yet is a column of NULLs, not an unknown one.
      const present = new Set(
        (
          await querySql(
            context,
            'read-dataset',
            `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(local)})`,
          )
        ).map((r) => String(r['column_name'])),
      );
      const unwritten = Object.entries(dataset.columns)
        .filter(([c]) => !present.has(c))
        .map(([c, type]) => `, CAST(NULL AS ${type}) AS ${q(c)}`);
      const rows = `SELECT *${unwritten.join('')} FROM read_parquet(${quoteLiteral(local)})`;
      from = `(SELECT * EXCLUDE (${DATASET_INTERNAL_COLUMNS.map(q).join(', ')}) FROM (${rows})${
        filters.length ? ` WHERE ${filters.join(' AND ')}` : ''
      })`;
    } else if (Object.keys(dataset.columns).length > 0) {
      from = `(${emptyDeclared(dataset)})`; // never written: no rows, but its declared columns
    } else {
      continue; // never written, nothing declared: nothing to export
    }
    const keyOrder = dataset.key.map((c) => `CAST(${q(c)} AS VARCHAR)`).join(', ');
    await runSql(
      context,
      'read-dataset',
      `CREATE TABLE ${q(stage)} AS SELECT *${extra.map((e) => `, ${e}`).join('')} FROM ${from} ORDER BY ${keyOrder}`,
    );
    const described = await querySql(context, 'read-dataset', `DESCRIBE ${q(stage)}`);
    for (const row of described) {
      const column = String(row['column_name']);
      if (!columns.includes(column)) columns.push(column);
    }
    const [count] = await querySql(context, 'read-dataset', `SELECT count(*) AS n FROM ${q(stage)}`);
    const rows = Number(count?.['n'] ?? 0);
    parts.push(
      `SELECT *, ${quoteLiteral(`dataset:${name}`)} AS ${q(FILE_COLUMN)}, ${offset} + row_number() OVER (ORDER BY rowid) AS ${q(ROW_COLUMN)} FROM ${q(stage)}`,
    );
    offset += rows;
  }
  const limit = source.limit !== undefined ? ` LIMIT ${source.limit}` : '';
  if (parts.length === 0) {
    await runSql(
      context,
      'read-dataset',
      `CREATE TABLE ${q(table)} (${q(FILE_COLUMN)} VARCHAR, ${q(ROW_COLUMN)} BIGINT)`,
    );
  } else {
    await runSql(
      context,
      'read-dataset',
      `CREATE TABLE ${q(table)} AS SELECT * FROM (${parts.join(' UNION ALL BY NAME ')}) ORDER BY ${q(ROW_COLUMN)}${limit}`,
    );
  }
  const [read] = await querySql(context, 'read-dataset', `SELECT count(*) AS n FROM ${q(table)}`);
  const rowsRead = Number(read?.['n'] ?? 0);
  context.counts.rowsRead += rowsRead;
  if (source.sinceLastRun && offset > rowsRead) {
    context.warnings.push({
      code: 'EXPORT_LIMIT_SKIPS_ROWS',
      message: `source.limit exported ${rowsRead} of ${offset} new or changed rows; with since_last_run the other ${offset - rowsRead} are not exported by later runs (until they change again).`,
    });
  }
  // Data columns in dataset order, then the columns ferry adds on request.
  const added = [
    ...(segmentsField !== undefined ? [segmentsField] : []),
    ...(several ? [DATASET_COLUMN] : []),
  ];
  if (columns.length === 0) {
    context.sourceColumns = [];
    return;
  }
  if (!source.fields) {
    context.sourceColumns = [...columns.filter((c) => !added.includes(c)), ...added];
    return;
  }
  for (const field of source.fields) {
    if (!columns.includes(field)) {
      throw new FerryError(
        'SOURCE_UNKNOWN_FIELD',
        `source.fields names "${field}", which dataset(s) ${source.datasets.join(', ')} do not have.`,
        {
          context: { pipeline: context.pipeline.name, step: 'read-dataset' },
          hint: `Columns: ${columns.join(', ')}.`,
        },
      );
    }
  }
  // The columns ferry adds on request are part of the output even when fields does not list them.
  context.sourceColumns = [...source.fields, ...added.filter((c) => !source.fields?.includes(c))];
}

/** A never-written dataset as an empty table of its declared columns. */
function emptyDeclared(dataset: Dataset): string {
  const columns = Object.entries(dataset.columns).map(([c, type]) => `CAST(NULL AS ${type}) AS ${q(c)}`);
  return `SELECT ${columns.join(', ')} WHERE false`;
}

/** The seed's "Additional Segments": per row, the names of the segments (on its dataset) it belongs to. */
function segmentMembership(context: StepContext, dataset: string): string {
  const segments = Object.values(context.project.segments).filter((s) => s.dataset === dataset);
  const items = segments.map((s) => `CASE WHEN (${s.where}) THEN ${quoteLiteral(s.name)} END`);
  return items.length
    ? `list_filter([${items.join(', ')}], _ferry_x -> _ferry_x IS NOT NULL)`
    : 'CAST([] AS VARCHAR[])';
}
