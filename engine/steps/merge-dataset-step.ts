/**
 * merge-dataset: this run's rows into the dataset by mode, as one SQL merge producing the next
 * version in the temp dir. Rows whose key is empty or whose value does not cast to a declared column
 * type are rejected with the reason (rows in = merged + superseded + rejected); relations to other
 * datasets are checked and counted. A run that changes no row makes no new version. Nothing is
 * committed here: apply makes the version current after the run's other outputs are verified.
 */
import { join } from 'node:path';
import type { Dataset } from '../config/model.js';
import { quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import { nextDatasetVersion } from '../state/dataset-store.js';
import type { MergeDatasetStep } from '../plan/plan-model.js';
import { alignDatasetTypes } from './align-dataset-types.js';
import { countSupersededRows } from './compile-duplicate-keys-sql.js';
import {
  compileMergeSql,
  DATASET_INTERNAL_COLUMNS,
  MERGE_KINDS,
  type MergeSql,
} from './compile-merge-sql.js';
import { checkColumns, conformRows } from './conform-dataset-rows.js';
import type { DatasetEffect } from './dataset-context.js';
import { addMergeWarnings, checkRelations, KEY_SAMPLE } from './dataset-merge-findings.js';
import { ORDER_COLUMN } from './diff-step.js';
import { explainMappedFailure } from './explain-mapped-failure.js';
import { importTimeOf } from './import-time.js';
import { currentVersionPath, fetchCurrentVersion } from './prefetch-dataset-version.js';
import { querySql, runSql, type StepContext } from './step-context.js';
import { writeRowsNotApplied } from './write-rows-not-applied.js';

export async function executeMergeDatasetStep(context: StepContext, step: MergeDatasetStep): Promise<void> {
  // The mapping is a view: a computed column failing on the data fails here, and is named as such.
  await mergeDataset(context, step).catch(async (error: unknown) => {
    throw await explainMappedFailure(context, error);
  });
}

async function mergeDataset(context: StepContext, step: MergeDatasetStep): Promise<void> {
  const datasets = context.datasets;
  const dataset = context.project.datasets[step.dataset];
  const manifest = datasets?.manifests.get(step.dataset);
  if (!datasets || !dataset || !manifest)
    throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${step.dataset}".`);
  const errorContext = { pipeline: context.pipeline.name, step: 'merge-dataset', dataset: dataset.name };
  const input = context.outputTable ?? 'output';
  checkColumns(dataset, context.columns, errorContext);
  // Declared columns keep their declared order (JSON sources, for one, load keys alphabetically).
  const declared = Object.keys(dataset.columns);
  const columns = declared.length
    ? declared.filter((c) => context.columns.includes(c))
    : [...context.columns];

  const { inputTypes, rejected } = await conformRows(context, dataset, columns, input);
  const current = await readCurrentVersion(context, dataset);
  // mirror deletes keys absent from this run; a rejected row's key is absent but not gone.
  const holdDeletes = step.mode === 'mirror' && context.counts.rowsRejected > 0;
  const version = nextDatasetVersion(manifest);
  const sql = compileMergeSql({
    incomingTable: current.incomingTable,
    incomingColumns: columns,
    rowColumn: ORDER_COLUMN,
    currentFile: current.localFile,
    currentColumns: current.columns,
    key: dataset.key,
    mode: step.mode,
    version,
    runTime: context.runTime,
    importTime: importTimeOf(context.pipeline.mapping, context.runTime),
    holdDeletes,
    // A run past the database-file threshold joins by digests, as the diff does (compile-merge-sql.ts).
    compare: context.largeRun === true ? 'digest' : 'text',
  });
  const effect = await measureMerge(context, sql, { dataset: dataset.name, mode: step.mode, version });

  await checkRelations(context, dataset, columns, effect, sql.appliedRows);
  addMergeWarnings(context, dataset, effect, holdDeletes);

  // No row created, updated or deleted and no new column: the current version stays current.
  const newColumn = columns.some((c) => !current.columns.includes(c));
  if (
    effect.created + effect.updated + effect.deleted > 0 ||
    (current.localFile !== undefined && newColumn)
  ) {
    const path = join(context.tempDir, 'dataset-next.parquet');
    effect.rows = await countedSql(context, sql.writeNext(path));
    datasets.pendingVersion = { dataset: dataset.name, path, rows: effect.rows, version };
  } else {
    effect.version = manifest.current ?? 0;
    effect.rows = current.localFile
      ? await countedSql(context, `SELECT count(*) FROM read_parquet(${quoteLiteral(current.localFile)})`)
      : 0;
  }
  datasets.effect = effect;
  context.counts.rowsWritten = effect.created + effect.updated;
  await writeRowsNotApplied(context, { sql, step, effect, columns, input, inputTypes, rejected });
}

/** The dataset's current version as a local file (when there is one), its columns, and the incoming rows' table. */
async function readCurrentVersion(
  context: StepContext,
  dataset: Dataset,
): Promise<{ localFile: string | undefined; columns: string[]; incomingTable: string }> {
  const currentPath = currentVersionPath(context);
  // Undeclared columns typed differently by this run and the current version get one type.
  const { currentFile: localFile, incomingTable } = await alignDatasetTypes(context, {
    currentFile: (await fetchCurrentVersion(context, dataset.name, currentPath)) ? currentPath : undefined,
    incomingTable: 'conformed_ok',
    declared: Object.keys(dataset.columns),
    key: dataset.key,
  });
  let columns: string[] = [];
  if (localFile) {
    const rows = await querySql(
      context,
      'merge-dataset',
      `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(localFile)})`,
    );
    columns = rows
      .map((r) => String(r['column_name']))
      .filter((c) => !(DATASET_INTERNAL_COLUMNS as readonly string[]).includes(c));
  }
  return { localFile, columns, incomingTable };
}

/** Run the merge up to the next version's view, and count what it does (with the first keys behind each count). */
async function measureMerge(
  context: StepContext,
  sql: MergeSql,
  base: Pick<DatasetEffect, 'dataset' | 'mode' | 'version'>,
): Promise<DatasetEffect> {
  await runSql(context, 'merge-dataset', sql.createIncoming);
  await runSql(context, 'merge-dataset', sql.createCurrent);
  await runSql(context, 'merge-dataset', sql.createJoined);
  const supersededRows = await countSupersededRows(sql.superseded, async (statement) => {
    const [row] = await querySql(context, 'merge-dataset', statement);
    return Number(row?.['n'] ?? 0);
  });
  if (supersededRows > 0) await runSql(context, 'merge-dataset', sql.dropSuperseded);
  const [counts] = await querySql(context, 'merge-dataset', sql.countJoined);
  const effect: DatasetEffect = {
    ...base,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    unmatched: 0,
    deleted: 0,
    superseded: supersededRows,
    rows: 0,
    missingRelations: [],
  };
  for (const kind of MERGE_KINDS) effect[kind] = Number(counts?.[kind] ?? 0);
  // A view: the version's rows are counted by the COPY that writes them (or, when none is written,
  // are the current version's). Before the deletes, which a narrow mirror counts from its tables.
  for (const statement of sql.createNext) await runSql(context, 'merge-dataset', statement);
  const [deleted] = await querySql(context, 'merge-dataset', sql.countDeleted);
  effect.deleted = Number(deleted?.['n'] ?? 0);
  // Which keys: the plan lists the first ones behind each count a reviewer has to act on.
  const sample = async (query: string) =>
    (await querySql(context, 'merge-dataset', query)).map((r) => String(r['k']));
  const keys: NonNullable<DatasetEffect['keys']> = {};
  if (effect.unmatched > 0) keys.unmatched = await sample(sql.sampleKeys('unmatched', KEY_SAMPLE));
  if (effect.skipped > 0) keys.skipped = await sample(sql.sampleKeys('skipped', KEY_SAMPLE));
  if (effect.deleted > 0) keys.deleted = await sample(sql.sampleDeleted(KEY_SAMPLE));
  if (Object.keys(keys).length) effect.keys = keys;
  return effect;
}

/** The one number a statement answers: a COPY's rows written, a count. */
async function countedSql(context: StepContext, sql: string): Promise<number> {
  const [row] = await querySql(context, 'merge-dataset', sql);
  return Number(Object.values(row ?? {})[0] ?? 0);
}
