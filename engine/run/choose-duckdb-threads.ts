/**
 * How many threads a run's DuckDB session gets. A run whose every input is small (a vendor's
 * thousand 80-byte files) gets one: DuckDB's parallel CSV reader sets up per file and per thread, and
 * over 1,000 tiny files one thread read them 2–3× faster than two on the bench machine, with nothing
 * else in the run big enough to use a second core. Anything larger — a big file, many bytes in all, a
 * diff snapshot or a dataset of more than SMALL_RUN_STATE_ROWS rows — keeps DuckDB's default (one
 * thread per core). The session is sandboxed with lock_configuration, so this is decided before it
 * opens, from the sizes the listing gave.
 */
import type { Pipeline } from '../config/model.js';
import type { PipelineState } from '../state/pipeline-state.js';
import type { DatasetContext } from '../steps/dataset-context.js';

/** No input file above this (the batch loader's own size limit for small files). */
export const SMALL_RUN_FILE_BYTES = 1024 * 1024;
/** No more than this in all (compressed files may hold several times as much). */
export const SMALL_RUN_TOTAL_BYTES = 8 * 1024 * 1024;
/** A previous snapshot or dataset version with more rows than this keeps the default. */
export const SMALL_RUN_STATE_ROWS = 100_000;

export interface ChooseDuckDbThreadsInput {
  pipeline: { source: Pick<Pipeline['source'], 'kind'>; diff?: Pipeline['diff'] };
  /** The files the run fetches, with their listed sizes. */
  selected: ReadonlyArray<{ size: number }>;
  state: Pick<PipelineState, 'snapshot'>;
  datasets?: Pick<DatasetContext, 'manifests'>;
}

/** 1 for a run of small inputs only; undefined (DuckDB's default) otherwise. */
export function chooseDuckDbThreads(input: ChooseDuckDbThreadsInput): number | undefined {
  const { pipeline, selected, state, datasets } = input;
  if (pipeline.source.kind !== 's3' || selected.length === 0) return undefined;
  let total = 0;
  for (const file of selected) {
    if (file.size > SMALL_RUN_FILE_BYTES) return undefined;
    total += file.size;
  }
  if (total > SMALL_RUN_TOTAL_BYTES) return undefined;
  if (pipeline.diff && (state.snapshot?.rows ?? 0) > SMALL_RUN_STATE_ROWS) return undefined;
  for (const manifest of datasets?.manifests.values() ?? []) {
    const current = manifest.versions.find((v) => v.version === manifest.current);
    if ((current?.rows ?? 0) > SMALL_RUN_STATE_ROWS) return undefined;
  }
  return 1;
}
