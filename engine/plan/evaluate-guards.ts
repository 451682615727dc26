/**
 * Destructive-change limits (docs/guards.md), measured after the read-only steps and before the
 * first step that writes. Pure: the pipeline, the run's counts and the previous row counts in; one
 * result per guard that applies out. A percentage is taken of the previous row count; with none (a
 * first run) it is not checked.
 */
import type { GuardLimit, GuardName, Pipeline } from '../config/model.js';
import { formatGuardLimit } from '../config/normalize-guards.js';
import type { RunCounts } from '../state/pipeline-state.js';
import type { DatasetEffect } from './dataset-effect.js';
import type { GuardResult } from './plan-model.js';

/** mode: mirror refuses to delete more than half a dataset unless the user loosens max_deleted. */
export const DEFAULT_MIRROR_MAX_DELETED: GuardLimit = { kind: 'percent', value: 50 };

export interface GuardInputs {
  counts: RunCounts;
  dataset: DatasetEffect | undefined;
  /** Rows of the previous diff snapshot, when there is one. */
  snapshotRows: number | undefined;
  /** Rows the last run that read any read (min_rows as a percentage). */
  previousRowsRead: number | undefined;
  /** Guards the run is told to let through (`--allow`, or a saved plan's allowances). */
  allow: ReadonlySet<string>;
}

interface Measure {
  guard: GuardName;
  count: number;
  base: number | undefined;
}

export function evaluateGuards(pipeline: Pipeline, input: GuardInputs): GuardResult[] {
  const guards = { ...pipeline.guards };
  const mirror = input.dataset?.mode === 'mirror';
  if (mirror && guards.max_deleted === undefined) guards.max_deleted = DEFAULT_MIRROR_MAX_DELETED;
  const results: GuardResult[] = [];
  for (const measure of measures(pipeline, input)) {
    const limit = guards[measure.guard];
    if (!limit) continue;
    const rows = limitInRows(limit, measure.base);
    if (rows === undefined) continue;
    const tripped = measure.guard === 'min_rows' ? measure.count < rows : measure.count > rows;
    results.push({
      guard: measure.guard,
      count: measure.count,
      limit: rows,
      setting: formatGuardLimit(limit),
      ...(limit.kind === 'percent' && measure.base !== undefined ? { base: measure.base } : {}),
      tripped,
      allowed: tripped && input.allow.has(measure.guard),
    });
  }
  return results;
}

/** What each guard counts, where the pipeline has it: removed needs a diff, deleted a mirror sink. */
function measures(pipeline: Pipeline, input: GuardInputs): Measure[] {
  const { counts, dataset } = input;
  const before = dataset ? dataset.rows - dataset.created + dataset.deleted : undefined;
  const out: Measure[] = [{ guard: 'min_rows', count: counts.rowsRead, base: input.previousRowsRead }];
  if (pipeline.diff) {
    out.push({ guard: 'max_removed', count: counts.rowsRemoved, base: input.snapshotRows });
    out.push({ guard: 'max_changed', count: counts.rowsChanged, base: input.snapshotRows });
  } else if (dataset) {
    out.push({ guard: 'max_changed', count: dataset.updated, base: before });
  }
  if (dataset?.mode === 'mirror') out.push({ guard: 'max_deleted', count: dataset.deleted, base: before });
  return out;
}

/** The limit in rows; undefined for a percentage with nothing to take it of. */
function limitInRows(limit: GuardLimit, base: number | undefined): number | undefined {
  if (limit.kind === 'count') return limit.value;
  if (base === undefined || base === 0) return undefined;
  return Math.floor((base * limit.value) / 100);
}

/** "max_removed: 970 rows removed, limit 20 (20% of 100 previous rows)". */
export function describeGuard(result: GuardResult): string {
  const what: Record<GuardName, string> = {
    max_removed: 'rows removed',
    max_deleted: 'rows deleted',
    max_changed: 'rows changed',
    min_rows: 'rows read',
  };
  const limit =
    result.base !== undefined
      ? `${result.limit} (${result.setting} of ${result.base} previous rows)`
      : String(result.limit);
  return `${result.guard}: ${result.count} ${what[result.guard]}, ${result.guard === 'min_rows' ? 'minimum' : 'limit'} ${limit}`;
}
