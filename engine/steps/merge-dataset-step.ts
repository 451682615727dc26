/**
 * merge-dataset: this run's rows into the dataset by mode, as one SQL merge producing the next
 * version in the temp dir. Declared column types are enforced (failing rows are rejected, not
 * lost); relations to other datasets are checked and counted. Nothing is committed here: apply
 * makes the version current after the run's other outputs are verified.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSink } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import type { MergeDatasetStep } from '../plan/plan-model.js';
import { renderOutputKey } from '../plan/render-output-key.js';
import { formatTimestamp } from '../time/timestamp-format.js';
import { compileMergeSql, DATASET_INTERNAL_COLUMNS } from './compile-merge-sql.js';
import { copyIntoTemp } from './copy-into-temp.js';
import { ORDER_COLUMN } from './diff-step.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';

export async function executeMergeDatasetStep(context: StepContext, step: MergeDatasetStep): Promise<void> {
  const datasets = context.datasets;
  const dataset = context.project.datasets[step.dataset];
  const manifest = datasets?.manifests.get(step.dataset);
  if (!datasets || !dataset || !manifest)
    throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${step.dataset}".`);
  const pipeline = context.pipeline.name;
  const sink = context.pipeline.sink as DatasetSink;
  let table = context.outputTable ?? 'output';
  const columns = [...context.columns];

  for (const column of dataset.key) {
    if (!columns.includes(column)) {
      throw new FerryError(
        'DATASET_KEY_MISSING',
        `Dataset "${dataset.name}" is keyed by ${dataset.key.join(', ')}, but the pipeline does not produce "${column}".`,
        {
          context: { pipeline, step: 'merge-dataset', dataset: dataset.name },
          hint: 'Rename the source column to the key with mapping.rename, or compute it with mapping.compute.',
        },
      );
    }
  }
  const declared = Object.keys(dataset.columns);
  if (declared.length) {
    const unknown = columns.filter((c) => !declared.includes(c));
    if (unknown.length) {
      throw new FerryError(
        'DATASET_UNKNOWN_COLUMN',
        `Dataset "${dataset.name}" declares no column ${unknown.map((c) => `"${c}"`).join(', ')}.`,
        {
          context: { pipeline, step: 'merge-dataset', dataset: dataset.name },
          hint: 'Declare the columns in ferry.yaml, drop them with mapping.exclude, or pack them with mapping.rest.',
        },
      );
    }
    // Conform to the declared types; rows that do not cast are rejected with the reason.
    const casts = columns.map((c) => `TRY_CAST(${q(c)} AS ${dataset.columns[c] ?? 'VARCHAR'}) AS ${q(c)}`);
    const reasons = columns.map(
      (c) =>
        `WHEN ${q(c)} IS NOT NULL AND TRY_CAST(${q(c)} AS ${dataset.columns[c] ?? 'VARCHAR'}) IS NULL THEN ${quoteLiteral(`column "${c}" does not cast to ${dataset.columns[c] ?? 'VARCHAR'} (dataset ${dataset.name})`)}`,
    );
    await runSql(
      context,
      'merge-dataset',
      `CREATE TABLE conformed AS SELECT ${casts.join(', ')}, ${q(ORDER_COLUMN)}, CASE ${reasons.join(' ')} ELSE NULL END AS _ferry_reject FROM ${q(table)}`,
    );
    const rejected = await querySql(
      context,
      'merge-dataset',
      `SELECT ${q(ORDER_COLUMN)} AS row, _ferry_reject AS reason FROM conformed WHERE _ferry_reject IS NOT NULL ORDER BY 1`,
    );
    context.counts.rowsRejected += rejected.length;
    for (const row of rejected.slice(0, Math.max(0, MAX_REJECT_DETAILS - context.rejects.length))) {
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
      `CREATE VIEW conformed_ok AS SELECT * EXCLUDE (_ferry_reject) FROM conformed WHERE _ferry_reject IS NULL`,
    );
    table = 'conformed_ok';
  }

  const currentFile = datasets.store.currentFile(manifest);
  const localCurrent = currentFile
    ? await copyIntoTemp(context.tempDir, currentFile, `dataset-current.parquet`)
    : undefined;
  let currentColumns: string[] = [];
  if (localCurrent) {
    const described = await querySql(
      context,
      'merge-dataset',
      `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(localCurrent)})`,
    );
    currentColumns = described
      .map((r) => String(r['column_name']))
      .filter((c) => !(DATASET_INTERNAL_COLUMNS as readonly string[]).includes(c));
  }
  const version = datasets.store.nextVersion(manifest);
  const sql = compileMergeSql({
    incomingTable: table,
    incomingColumns: columns,
    rowColumn: ORDER_COLUMN,
    currentFile: localCurrent,
    currentColumns,
    key: dataset.key,
    mode: step.mode,
    version,
    runTime: context.runTime,
  });
  for (const statement of [sql.createIncoming, sql.createCurrent, sql.createJoined])
    await runSql(context, 'merge-dataset', statement);
  const effect = {
    dataset: dataset.name,
    mode: step.mode,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    unmatched: 0,
    deleted: 0,
    rows: 0,
    version,
    missingRelations: [] as Array<{ column: string; dataset: string; rows: number }>,
  };
  for (const row of await querySql(context, 'merge-dataset', sql.countKinds)) {
    const kind = String(row['kind']) as 'created' | 'updated' | 'unchanged' | 'skipped' | 'unmatched';
    effect[kind] += Number(row['n']);
  }
  const [deleted] = await querySql(context, 'merge-dataset', sql.countDeleted);
  effect.deleted = Number(deleted?.['n'] ?? 0);
  await runSql(context, 'merge-dataset', sql.createNext);
  const [rows] = await querySql(context, 'merge-dataset', 'SELECT count(*) AS n FROM next_version');
  effect.rows = Number(rows?.['n'] ?? 0);

  // Relations (a user's account id → accounts): counted, fatal only when configured.
  for (const [column, relation] of Object.entries(context.pipeline.mapping?.relations ?? {})) {
    const target = context.project.datasets[relation.dataset];
    const targetManifest = datasets.manifests.get(relation.dataset);
    if (!target || !targetManifest || target.key.length !== 1) {
      throw new FerryError(
        'RELATION_INVALID',
        `mapping.relations.${column} must point at a dataset with a one-column key.`,
        {
          context: { pipeline, step: 'merge-dataset' },
        },
      );
    }
    const targetKey = target.key[0] ?? '';
    const targetFile =
      relation.dataset === dataset.name ? undefined : datasets.store.currentFile(targetManifest);
    const keys =
      relation.dataset === dataset.name
        ? `SELECT CAST(${q(targetKey)} AS VARCHAR) AS k FROM next_version`
        : targetFile
          ? `SELECT CAST(${q(targetKey)} AS VARCHAR) AS k FROM read_parquet(${quoteLiteral(await copyIntoTemp(context.tempDir, targetFile, `relation-${relation.dataset}.parquet`))})`
          : 'SELECT CAST(NULL AS VARCHAR) AS k WHERE false';
    const [missing] = await querySql(
      context,
      'merge-dataset',
      `SELECT count(*) AS n FROM incoming i WHERE i.${q(column)} IS NOT NULL AND CAST(i.${q(column)} AS VARCHAR) NOT IN (${keys})`,
    );
    const n = Number(missing?.['n'] ?? 0);
    if (n > 0) {
      effect.missingRelations.push({ column, dataset: relation.dataset, rows: n });
      const message = `${n} row${n === 1 ? '' : 's'} refer to a ${relation.dataset} ${targetKey} (column ${column}) that does not exist.`;
      if (relation.onMissing === 'fail') {
        throw new FerryError('RELATION_MISSING', message, {
          context: { pipeline, step: 'merge-dataset', dataset: dataset.name },
          hint: `Load ${relation.dataset} first, or set on_missing: count to only report it.`,
        });
      }
      context.warnings.push({ code: 'RELATION_MISSING', message });
    }
  }

  const path = join(context.tempDir, 'dataset-next.parquet');
  await runSql(context, 'merge-dataset', sql.writeNext(path));
  datasets.pendingVersion = { dataset: dataset.name, path, rows: effect.rows, version };
  datasets.effect = effect;
  context.counts.rowsWritten = effect.created + effect.updated;
  if (step.mode === 'update' && effect.unmatched > 0) {
    context.warnings.push({
      code: 'DATASET_UNMATCHED',
      message: `${effect.unmatched} row${effect.unmatched === 1 ? '' : 's'} did not match an existing ${dataset.name} key and ${effect.unmatched === 1 ? 'was' : 'were'} not written (mode: update).`,
    });
    if (sink.rejects) {
      await runSql(context, 'merge-dataset', sql.createUnmatched);
      const key = renderOutputKey({
        directory: sink.rejects.directory,
        template: '{{pipeline}}-unmatched-{{timestamp}}.csv',
        variables: { pipeline, timestamp: formatTimestamp(context.runTime, 'YYYYMMDDHHmmss', 'UTC') },
        pipeline,
      });
      const local = join(context.tempDir, 'unmatched.csv');
      await runSql(
        context,
        'merge-dataset',
        `COPY (SELECT ${columns.map(q).join(', ')} FROM unmatched ORDER BY ${q(ORDER_COLUMN)}) TO ${quoteLiteral(local)} (FORMAT csv, HEADER true)`,
      );
      const { size } = await stat(local);
      context.outputs.push({
        bucket: sink.rejects.bucket,
        key,
        format: 'csv',
        rows: effect.unmatched,
        bytes: size,
        path: local,
        connection: sink.rejects.connection,
      });
    }
  }
}
