/**
 * The plan of one pipeline, assembled from what was read before it (the source listing's selection,
 * the pipeline's state and journal) and the clock. Pure: the same inputs give the same plan, which
 * is what makes `apply --plan` checkable (I5). Executing the read-only steps fills in the counts,
 * outputs and rejects; `planStatus` then says whether there is anything to do.
 */
import { createHash } from 'node:crypto';
import type { Pipeline } from '../config/model.js';
import type { OrphanObject, PipelineState } from '../state/pipeline-state.js';
import { emptyCounts } from '../state/pipeline-state.js';
import { compileSteps } from './compile-plan.js';
import { configFingerprint, configSnapshot, diffConfig } from './diff-config.js';
import { nextRuns } from './next-runs.js';
import type { PipelinePlan } from './plan-model.js';
import { describeRepeatedOutputKey, findRepeatedOutputKey } from './repeated-output-keys.js';
import type { FileSelection } from './select-files.js';

/** An empty selection, for pipelines that read no S3 source. */
export function emptySelection(): FileSelection {
  return { listed: 0, matched: 0, selected: [], changed: [], skipped: [], warnings: [] };
}

/** What the run takes: the configuration and the input objects. A retry with the same fingerprint resumes. */
export function inputFingerprint(pipeline: Pipeline, selection: FileSelection): string {
  const inputs = selection.selected.map((c) => [c.key, c.etag, c.size]);
  return createHash('sha256')
    .update(JSON.stringify([configFingerprint(pipeline), inputs]))
    .digest('hex');
}

/** Fingerprint of committed state, for the saved-plan check. */
export function stateFingerprint(state: PipelineState): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

export function assemblePipelinePlan(input: {
  pipeline: Pipeline;
  selection: FileSelection;
  state: PipelineState;
  runId: string;
  runTime: Date;
  now: Date;
  /** Objects left by earlier runs that never committed, which this run removes. */
  orphans: readonly OrphanObject[];
}): PipelinePlan {
  const { pipeline, selection, state } = input;
  const counts = emptyCounts();
  counts.filesMatched = selection.matched;
  counts.filesNew = selection.selected.length;
  counts.filesSkipped = selection.skipped.length;
  const applied = state.appliedConfig;
  const repeat = findRepeatedOutputKey(pipeline, input.now);
  return {
    pipeline: pipeline.name,
    ...(pipeline.description !== undefined ? { description: pipeline.description } : {}),
    runId: input.runId,
    runTime: input.runTime.toISOString(),
    selection,
    steps: compileSteps(pipeline, selection),
    ...(pipeline.schedule
      ? {
          schedule: {
            description: pipeline.schedule.description,
            next: nextRuns(pipeline.schedule, input.now).map((d) => d.toISOString()),
          },
        }
      : {}),
    configChanges: applied === undefined ? [] : diffConfig(applied, configSnapshot(pipeline)),
    firstApply: applied === undefined,
    counts,
    outputs: [],
    rejects: [],
    ...(input.orphans.length ? { orphans: [...input.orphans] } : {}),
    fingerprints: {
      config: configFingerprint(pipeline),
      state: stateFingerprint(state),
      inputs: selection.selected.map((c): [string, string, number] => [c.key, c.etag, c.size]),
    },
    warnings: [
      ...selection.warnings.map((w) => ({ code: w.code, message: w.message })),
      ...(state.orphans?.length
        ? [
            {
              code: 'ORPHANED_OUTPUTS',
              message: `${state.orphans.length} object${state.orphans.length === 1 ? '' : 's'} written by runs that never committed could not be removed: ${state.orphans
                .slice(0, 3)
                .map((o) => `s3://${o.bucket}/${o.key} (${o.reason})`)
                .join(', ')}${state.orphans.length > 3 ? ', …' : ''}.`,
            },
          ]
        : []),
      ...(repeat && pipeline.sink.kind === 's3'
        ? [{ code: 'OUTPUT_KEY_REPEATS', message: describeRepeatedOutputKey(repeat, pipeline.sink) }]
        : []),
    ],
    sql: [],
    status: 'no-changes',
  };
}

/** Whether applying the plan would change anything: outputs, dataset rows, state or orphans. */
export function planStatus(plan: PipelinePlan): 'changes' | 'no-changes' {
  const dataset = plan.dataset;
  const datasetChanges = dataset ? dataset.created + dataset.updated + dataset.deleted : 0;
  return plan.outputs.length > 0 ||
    datasetChanges > 0 ||
    plan.selection.selected.length > 0 ||
    plan.configChanges.length > 0 ||
    (plan.orphans?.length ?? 0) > 0 ||
    plan.firstApply
    ? 'changes'
    : 'no-changes';
}
