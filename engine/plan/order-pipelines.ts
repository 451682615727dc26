/**
 * The order pipelines run in: a pipeline that reads a dataset (or relates to one) runs after every
 * pipeline that writes it, so one `apply` imports accounts before it exports them. Otherwise by
 * name. Cycles (a pipeline reading and writing the same dataset) fall back to name order.
 */
import type { Pipeline } from '../config/model.js';

function reads(pipeline: Pipeline): string[] {
  const names = pipeline.source.kind === 'dataset' ? [...pipeline.source.datasets] : [];
  for (const relation of Object.values(pipeline.mapping?.relations ?? {})) names.push(relation.dataset);
  return names;
}

function writes(pipeline: Pipeline): string | undefined {
  return pipeline.sink.kind === 'dataset' ? pipeline.sink.dataset : undefined;
}

export function orderPipelines(pipelines: readonly Pipeline[]): Pipeline[] {
  const byName = [...pipelines].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ordered: Pipeline[] = [];
  const pending = new Set(byName.map((p) => p.name));
  while (pending.size > 0) {
    const ready = byName.find(
      (p) =>
        pending.has(p.name) &&
        reads(p).every((dataset) =>
          byName.every((w) => w === p || !pending.has(w.name) || writes(w) !== dataset),
        ),
    );
    const next = ready ?? byName.find((p) => pending.has(p.name));
    if (!next) break;
    ordered.push(next);
    pending.delete(next.name);
  }
  return ordered;
}
