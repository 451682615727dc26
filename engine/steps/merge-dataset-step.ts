/**
 * merge-dataset: this run's rows into the dataset by mode, as one SQL merge producing the next
 * version in the temp dir. Rows whose key is empty or whose value does not cast to a declared column
 * type are rejected with the reason (rows in = merged + superseded + rejected); relations to other
 * datasets are checked and counted. A run that changes no row makes no new version. Nothing is
 * committed here: apply makes the version current after the run's other outputs are verified.
 */
import { importTimeOf } from './import-time.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, DatasetSink } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import { nextDatasetVersion } from '../state/dataset-store.js';
import type { MergeDatasetStep } from '../plan/plan-model.js';
import { renderOutputKey } from '../plan/render-output-key.js';
import { formatTimestamp } from '../time/timestamp-format.js';
import { castInputSql, isJsonType } from '../duckdb/duckdb-type-kind.js';
import { alignDatasetTypes } from './align-dataset-types.js';
import { csvColumnExpr, isListType, isMapType, isStructType } from './compile-copy-sql.js';
import { countSupersededRows } from './compile-duplicate-keys-sql.js';
import { compileMergeSql, DATASET_INTERNAL_COLUMNS, MERGE_KINDS } from './compile-merge-sql.js';

type MergeSql = ReturnType<typeof compileMergeSql>;
import { keepDatasetRejectsSql } from './rejected-rows.js';
import type { DatasetEffect } from './dataset-context.js';
import { ORDER_COLUMN } from './diff-step.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';
import { explainMappedFailure } from './explain-mapped-failure.js';
import { currentVersionPath, fetchCurrentVersion } from './prefetch-dataset-version.js';

const REASON_COLUMN = '_ferry_reason';
/** Keys listed per count (unmatched, skipped, deleted) in the plan. */
const KEY_SAMPLE = 10;

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

  await checkRelations(context, dataset, columns, effect);
  addWarnings(context, dataset, effect, holdDeletes);

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

/**
 * Conform this run's rows to the dataset: declared types cast, keys present. Failing rows are counted,
 * listed and kept aside with the reason; the rest are the view `conformed_ok`.
 */
async function conformRows(
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
  // A view: the version's rows are counted by the COPY that writes them (or, when none is written,
  // are the current version's).
  await runSql(context, 'merge-dataset', sql.createNext);
  return effect;
}

/** Rows that cannot be applied (rejected, unmatched for update, existing for insert), written aside as one CSV output. */
async function writeRowsNotApplied(
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

/** The one number a statement answers: a COPY's rows written, a count. */
async function countedSql(context: StepContext, sql: string): Promise<number> {
  const [row] = await querySql(context, 'merge-dataset', sql);
  return Number(Object.values(row ?? {})[0] ?? 0);
}

/** A column as CSV text (lists and maps joined by `&`, as in flat CSV exports). */
function csvValue(column: string, type = 'VARCHAR'): string {
  return isListType(type) || isMapType(type) || isStructType(type) || isJsonType(type)
    ? csvColumnExpr({ name: column, type }, '&')
    : `CAST(${q(column)} AS VARCHAR) AS ${q(column)}`;
}

function checkColumns(dataset: Dataset, columns: readonly string[], context: Record<string, string>): void {
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

/** Relations (a user's account id → accounts) of the rows this run applies: counted, fatal only when configured. */
async function checkRelations(
  context: StepContext,
  dataset: Dataset,
  columns: readonly string[],
  effect: DatasetEffect,
): Promise<void> {
  const datasets = context.datasets;
  if (!datasets) return;
  const errorContext = { pipeline: context.pipeline.name, step: 'merge-dataset', dataset: dataset.name };
  for (const [column, relation] of Object.entries(context.pipeline.mapping?.relations ?? {})) {
    const target = context.project.datasets[relation.dataset];
    const targetManifest = datasets.manifests.get(relation.dataset);
    if (!target || !targetManifest || target.key.length !== 1 || !columns.includes(column)) {
      throw new FerryError(
        'RELATION_INVALID',
        `mapping.relations.${column} must name a column the pipeline produces and a dataset with a one-column key.`,
        { context: errorContext },
      );
    }
    const targetKey = target.key[0] ?? '';
    const targetPath = join(context.tempDir, `relation-${relation.dataset}.parquet`);
    const targetFile =
      relation.dataset !== dataset.name && (await datasets.fetchCurrent(relation.dataset, targetPath))
        ? targetPath
        : undefined;
    const keys =
      relation.dataset === dataset.name
        ? `SELECT CAST(${q(targetKey)} AS VARCHAR) AS k FROM next_version`
        : targetFile
          ? `SELECT CAST(${q(targetKey)} AS VARCHAR) AS k FROM read_parquet(${quoteLiteral(targetFile)})`
          : 'SELECT CAST(NULL AS VARCHAR) AS k WHERE false';
    const dangling =
      `SELECT CAST(j.${q(column)} AS VARCHAR) AS v FROM joined j WHERE j._ferry_applied AND j.${q(column)} IS NOT NULL ` +
      `AND NOT EXISTS (SELECT 1 FROM (${keys}) t WHERE t.k = CAST(j.${q(column)} AS VARCHAR))`;
    const [missing] = await querySql(context, 'merge-dataset', `SELECT count(*) AS n FROM (${dangling})`);
    const n = Number(missing?.['n'] ?? 0);
    if (n === 0) continue;
    // The first missing targets, as the plan lists unmatched keys: what a reviewer looks up.
    const sample = (
      await querySql(
        context,
        'merge-dataset',
        `SELECT DISTINCT v FROM (${dangling}) ORDER BY v LIMIT ${KEY_SAMPLE + 1}`,
      )
    ).map((r) => String(r['v']));
    const keysShown = sample.slice(0, KEY_SAMPLE);
    effect.missingRelations.push({ column, dataset: relation.dataset, rows: n, keys: keysShown });
    const more = sample.length > KEY_SAMPLE ? ', …' : '';
    const message = `${n} ${dataset.name} row${n === 1 ? '' : 's'} point${n === 1 ? 's' : ''} at ${relation.dataset} that do${n === 1 ? 'es' : ''} not exist (${column} → ${relation.dataset}.${targetKey}): ${keysShown.join(', ')}${more}.`;
    if (relation.onMissing === 'fail') {
      throw new FerryError('RELATION_MISSING', message, {
        context: errorContext,
        hint: `Load ${relation.dataset} first, or set on_missing: count to only report it.`,
      });
    }
    context.warnings.push({ code: 'RELATION_MISSING', message });
  }
}

function addWarnings(
  context: StepContext,
  dataset: Dataset,
  effect: DatasetEffect,
  holdDeletes: boolean,
): void {
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  const were = (n: number) => (n === 1 ? 'was' : 'were');
  if (effect.superseded > 0) {
    context.warnings.push({
      code: 'DATASET_DUPLICATE_KEY',
      message: `${rows(effect.superseded)} had the same ${dataset.key.join(', ')} as a later row of this run and ${were(effect.superseded)} superseded by it.`,
    });
  }
  const listed = (keys: readonly string[] | undefined, total: number) =>
    keys?.length
      ? `: ${keys.join(', ')}${total > keys.length ? `, … (${total - keys.length} more)` : ''}`
      : '';
  if (effect.unmatched > 0) {
    context.warnings.push({
      code: 'DATASET_UNMATCHED',
      message: `${rows(effect.unmatched)} did not match an existing ${dataset.name} key and ${were(effect.unmatched)} not written (mode: update)${listed(effect.keys?.unmatched, effect.unmatched)}.`,
    });
  }
  if (effect.skipped > 0 && effect.mode === 'insert') {
    context.warnings.push({
      code: 'DATASET_SKIPPED',
      message: `${rows(effect.skipped)} had a key already in ${dataset.name} and ${were(effect.skipped)} not written (mode: insert)${listed(effect.keys?.skipped, effect.skipped)}.`,
    });
  }
  if (effect.deleted > 0) {
    context.warnings.push({
      code: 'DATASET_DELETES',
      message: `Deletes ${rows(effect.deleted)} from ${dataset.name} whose key is not in this run (mode: mirror)${listed(effect.keys?.deleted, effect.deleted)}.`,
    });
  }
  if (holdDeletes) {
    context.warnings.push({
      code: 'DATASET_DELETES_HELD',
      message: `This run rejected ${rows(context.counts.rowsRejected)}, so no ${dataset.name} key was deleted (mode: mirror): a rejected row's key is not absent from the source.`,
    });
  }
}
