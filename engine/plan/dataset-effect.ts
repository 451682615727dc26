/** What a dataset sink does in a run, as the plan reports it. */
export interface DatasetEffect {
  dataset: string;
  mode: 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  unmatched: number;
  deleted: number;
  /** Rows of this run dropped for another row of it with the same key (the last one wins; the first for insert and append). */
  superseded: number;
  /** Rows in the dataset after this run. */
  rows: number;
  /** The dataset's version after this run: a new one, or the current one when no row changed. */
  version: number;
  /** The first keys (as text; a JSON object for a multi-column key) behind the unmatched, skipped and deleted counts. */
  keys?: { unmatched?: string[]; skipped?: string[]; deleted?: string[] };
  /** Relation checks: referencing rows whose target key does not exist (with the first such keys). */
  missingRelations: Array<{ column: string; dataset: string; rows: number; keys?: string[] }>;
}
