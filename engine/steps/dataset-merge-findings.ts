/**
 * What a merge reports beyond its counts: relations of the applied rows to other datasets (counted,
 * fatal only when configured), and the warnings a reviewer acts on (superseded rows, unmatched and
 * skipped keys, deletes, deletes held back), each with the first keys behind it.
 */
import { join } from 'node:path';
import type { Dataset } from '../config/model.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import { firstRowWins } from './dataset-columns.js';
import type { DatasetEffect } from './dataset-context.js';
import { querySql, type StepContext } from './step-context.js';

/** Keys listed per count (unmatched, skipped, deleted) in the plan. */
export const KEY_SAMPLE = 10;

/** Relations (a user's account id → accounts) of the rows this run applies: counted, fatal only when configured. */
export async function checkRelations(
  context: StepContext,
  dataset: Dataset,
  columns: readonly string[],
  effect: DatasetEffect,
  /** The rows the merge applies, with their columns (MergeSql.appliedRows). */
  appliedRows: string,
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
      `SELECT CAST(j.${q(column)} AS VARCHAR) AS v FROM ${appliedRows} j WHERE j.${q(column)} IS NOT NULL ` +
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

/** The merge's warnings, each with the first keys behind its count. */
export function addMergeWarnings(
  context: StepContext,
  dataset: Dataset,
  effect: DatasetEffect,
  holdDeletes: boolean,
): void {
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  const were = (n: number) => (n === 1 ? 'was' : 'were');
  if (effect.superseded > 0) {
    const key = dataset.key.join(', ');
    context.warnings.push({
      code: 'DATASET_DUPLICATE_KEY',
      message: firstRowWins(effect.mode)
        ? `${rows(effect.superseded)} had the same ${key} as an earlier row of this run and ${were(effect.superseded)} skipped: with mode ${effect.mode} the first row of a key is kept, as it is against a key already in the dataset.`
        : `${rows(effect.superseded)} had the same ${key} as a later row of this run and ${were(effect.superseded)} superseded by it.`,
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
