/**
 * The pure planner: a pipeline, what its source holds, its state and the clock in; the ordered
 * steps of its run out. `plan` and `apply` execute this same list, so they cannot disagree.
 */
import type { Pipeline } from '../config/model.js';
import type { Step } from './plan-model.js';
import type { FileSelection } from './select-files.js';

export function compileSteps(pipeline: Pipeline, selection: FileSelection): Step[] {
  const { source, sink } = pipeline;
  const steps: Step[] = [];
  if (source.kind === 's3') {
    if (selection.selected.length === 0) return [];
    steps.push(
      {
        kind: 'fetch',
        connection: source.connection,
        bucket: source.bucket,
        objects: selection.selected.map((c, i) => ({
          key: c.key,
          size: c.size,
          etag: c.etag,
          localName: `in-${String(i + 1).padStart(4, '0')}`,
        })),
      },
      { kind: 'load', format: source.format.kind, table: 'source' },
      { kind: 'check-schema' },
    );
  } else {
    steps.push({ kind: 'read-dataset', datasets: [...source.datasets], table: 'source' });
  }
  steps.push({ kind: 'map', table: 'mapped' });
  if (pipeline.checks?.length)
    steps.push({ kind: 'check', mappedTable: 'mapped', checks: pipeline.checks.map((c) => c.name) });
  if (pipeline.diff) {
    steps.push({
      kind: 'diff',
      key: pipeline.diff.key ?? pipeline.mapping?.key ?? null,
      tombstones: pipeline.diff.tombstones?.column ?? null,
      table: 'output',
    });
  }
  if (sink.kind === 's3') {
    steps.push(
      { kind: 'write-files', format: sink.format.kind, compress: sink.compress },
      { kind: 'upload', connection: sink.connection, bucket: sink.bucket },
    );
  } else {
    steps.push({ kind: 'merge-dataset', dataset: sink.dataset, mode: sink.mode });
    if (sink.rejects)
      steps.push({ kind: 'upload', connection: sink.rejects.connection, bucket: sink.rejects.bucket });
  }
  steps.push({ kind: 'commit-state' });
  return steps;
}
