/**
 * read-dataset: the export side. The current version of each dataset (copied into the temp dir),
 * filtered by the segment's predicate and `where`, by `since_last_run` (rows whose version is newer
 * than the last one this pipeline exported), in key order, limited — into the `source` table that
 * the mapping and file steps read, exactly as for a file source.
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import type { DatasetSource } from '../config/model.js';
import { FILE_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { DATASET_INTERNAL_COLUMNS, VERSION_COLUMN } from './compile-merge-sql.js';
import { copyIntoTemp } from './copy-into-temp.js';
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
  const parts: string[] = [];
  let offset = 0;
  const columns: string[] = [];
  for (const [index, name] of source.datasets.entries()) {
    const dataset = project.datasets[name];
    const manifest = datasets.manifests.get(name);
    if (!dataset || !manifest) throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${name}".`);
    const file = datasets.store.currentFile(manifest);
    datasets.nextWatermarks[name] = manifest.current ?? 0;
    if (!file) continue; // never written: nothing to export
    const local = await copyIntoTemp(context.tempDir, file, `dataset-${index}.parquet`);
    const filters: string[] = [];
    if (segment && segment.dataset === name) filters.push(`(${segment.where})`);
    if (segment && segment.dataset !== name) filters.push('false');
    if (source.where !== undefined) filters.push(`(${source.where})`);
    const watermark = datasets.watermarks[name];
    if (source.sinceLastRun && watermark !== undefined) filters.push(`${q(VERSION_COLUMN)} > ${watermark}`);
    const keyOrder = dataset.key.map((c) => `CAST(${q(c)} AS VARCHAR)`).join(', ');
    const stage = `dataset_${index}`;
    const segmentList = segmentMembership(context, name);
    await runSql(
      context,
      'read-dataset',
      `CREATE TABLE ${q(stage)} AS SELECT * EXCLUDE (${DATASET_INTERNAL_COLUMNS.map(q).join(', ')})${segmentList ? `, ${segmentList}` : ''}${
        source.datasets.length > 1 ? `, ${quoteLiteral(name)} AS ${q(DATASET_COLUMN)}` : ''
      } FROM read_parquet(${quoteLiteral(local)})${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''} ORDER BY ${keyOrder}`,
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
  context.counts.rowsRead += Number(read?.['n'] ?? 0);
  if (source.fields) {
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
  }
  context.sourceColumns = source.fields ? [...source.fields] : columns;
}

/** The seed's "Additional Segments": per row, the names of the segments (on its dataset) it belongs to. */
function segmentMembership(context: StepContext, dataset: string): string | undefined {
  const field = context.pipeline.sink.kind === 's3' ? context.pipeline.sink.segmentsField : undefined;
  if (field === undefined) return undefined;
  const segments = Object.values(context.project.segments).filter((s) => s.dataset === dataset);
  const items = segments.map((s) => `CASE WHEN (${s.where}) THEN ${quoteLiteral(s.name)} END`);
  const list = items.length
    ? `list_filter([${items.join(', ')}], x -> x IS NOT NULL)`
    : 'CAST([] AS VARCHAR[])';
  return `${list} AS ${q(field)}`;
}
