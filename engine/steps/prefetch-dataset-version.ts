/**
 * The current version of the dataset a run merges into is copied into the run's temp dir and checked
 * against its manifest (SHA-256) while the source is loaded, typed and mapped, instead of after: that
 * is file I/O and hashing in Node, the load's work is DuckDB's on its own threads, so the two overlap
 * (at 1M rows the copy and hash of a 60 MB version took as long as a quarter of the merge). The merge
 * step takes the prefetched file; what the fetch finds (a missing or corrupt version) is reported
 * there, as before. A run that fails first waits for the fetch before its temp dir is removed.
 */
import { join } from 'node:path';
import type { StepContext } from './step-context.js';

/** Where the merge step expects the dataset's current version. */
export function currentVersionPath(context: Pick<StepContext, 'tempDir'>): string {
  return join(context.tempDir, 'dataset-current.parquet');
}

/** Starts fetching the sink dataset's current version (once per run); the merge step awaits it. */
export function prefetchDatasetVersion(context: StepContext): void {
  const { datasets } = context;
  if (datasets === undefined || datasets.prefetched !== undefined) return;
  const sink = context.pipeline.sink;
  if (sink.kind !== 'dataset') return;
  const path = currentVersionPath(context);
  const found = datasets.fetchCurrent(sink.dataset, path);
  // Awaited by the merge step (which reports its error) or settled by settleDatasetPrefetch.
  found.catch(() => undefined);
  datasets.prefetched = { dataset: sink.dataset, path, found };
}

/**
 * The current version of `dataset` at `path`: the prefetched one when it is that dataset's, fetched
 * now otherwise. True when the dataset has a current version.
 */
export async function fetchCurrentVersion(
  context: StepContext,
  dataset: string,
  path: string,
): Promise<boolean> {
  const datasets = context.datasets;
  if (datasets === undefined) return false;
  const prefetched = datasets.prefetched;
  if (prefetched !== undefined && prefetched.dataset === dataset && prefetched.path === path) {
    return prefetched.found;
  }
  return datasets.fetchCurrent(dataset, path);
}

/** Waits for a prefetch still under way (its outcome is the merge step's to report), e.g. before the temp dir goes. */
export async function settleDatasetPrefetch(context: Pick<StepContext, 'datasets'>): Promise<void> {
  await context.datasets?.prefetched?.found.catch(() => undefined);
}
