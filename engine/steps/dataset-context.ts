/**
 * What dataset steps need beyond the common step context: the dataset store, the manifests read at
 * the start of the run (so a run sees one consistent version of each dataset), and the effects the
 * run will commit after its outputs are verified.
 */
import type { DatasetManifest, DatasetStore } from '../state/dataset-store.js';

export interface DatasetEffect {
  dataset: string;
  mode: 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  unmatched: number;
  deleted: number;
  /** Rows of this run replaced by a later row with the same key (the last one wins). */
  superseded: number;
  /** Rows in the dataset after this run. */
  rows: number;
  /** The dataset's version after this run: a new one, or the current one when no row changed. */
  version: number;
  /** The first keys (as text; a JSON object for a multi-column key) behind the unmatched, skipped and deleted counts. */
  keys?: { unmatched?: string[]; skipped?: string[]; deleted?: string[] };
  /** Relation checks: referencing rows whose target key does not exist. */
  missingRelations: Array<{ column: string; dataset: string; rows: number }>;
}

export interface DatasetContext {
  store: DatasetStore;
  manifests: Map<string, DatasetManifest>;
  /** The new version written in the temp dir, committed by apply. */
  pendingVersion?: { dataset: string; path: string; rows: number; version: number };
  effect?: DatasetEffect;
  /** Export watermarks read (dataset → last exported version) and to commit. */
  watermarks: Record<string, number>;
  nextWatermarks: Record<string, number>;
}
