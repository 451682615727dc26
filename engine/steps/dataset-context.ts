/**
 * What dataset steps need beyond the common step context: the manifests read at the start of the run
 * (so a run sees one consistent version of each dataset), a way to copy a dataset's current version
 * into the run's temp dir, and the effects the run will commit after its outputs are verified.
 */
import type { DatasetEffect } from '../plan/dataset-effect.js';
import type { DatasetManifest } from '../state/dataset-store.js';

export type { DatasetEffect } from '../plan/dataset-effect.js';

export interface DatasetContext {
  manifests: Map<string, DatasetManifest>;
  /**
   * Copies the current version of `dataset` (as this run sees it) to `localPath`, checked against its
   * manifest entry; false when the dataset is empty.
   */
  fetchCurrent(dataset: string, localPath: string): Promise<boolean>;
  /**
   * The sink dataset's current version, fetched while the source loads (prefetch-dataset-version.ts):
   * resolves like fetchCurrent to `path`.
   */
  prefetched?: { dataset: string; path: string; found: Promise<boolean> };
  /** The new version written in the temp dir, committed by apply. */
  pendingVersion?: { dataset: string; path: string; rows: number; version: number };
  effect?: DatasetEffect;
  /** Export watermarks read (dataset → last exported version) and to commit. */
  watermarks: Record<string, number>;
  nextWatermarks: Record<string, number>;
}
