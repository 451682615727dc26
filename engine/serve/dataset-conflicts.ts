/**
 * Which pipelines must not run at the same time in `ferry serve`: one that writes a dataset and one
 * that reads or writes the same dataset. The service starts the earlier-queued one first (queued in
 * the order engine/plan/order-pipelines.ts gives: writers before their readers); the other waits.
 */
import type { Pipeline } from '../config/model.js';

export function datasetsRead(pipeline: Pipeline): string[] {
  const names = pipeline.source.kind === 'dataset' ? [...pipeline.source.datasets] : [];
  for (const relation of Object.values(pipeline.mapping?.relations ?? {})) names.push(relation.dataset);
  return names;
}

export function datasetsWritten(pipeline: Pipeline): string[] {
  return pipeline.sink.kind === 'dataset' ? [pipeline.sink.dataset] : [];
}

/** The datasets that make `a` and `b` wait for each other (empty: they may run together). */
export function sharedDatasets(a: Pipeline, b: Pipeline): string[] {
  const aWrites = datasetsWritten(a);
  const bWrites = datasetsWritten(b);
  const shared = new Set<string>();
  for (const d of aWrites) if (bWrites.includes(d) || datasetsRead(b).includes(d)) shared.add(d);
  for (const d of bWrites) if (datasetsRead(a).includes(d)) shared.add(d);
  return [...shared].sort();
}
