/**
 * The columns ferry keeps in a dataset's rows beside the data, and the names the merge gives its own.
 * Rows in a dataset carry four internal columns: `_ferry_version` (the dataset version that last
 * changed the row — drives since_last_run), `_ferry_created_at` (when the row was first written: for
 * events, the ingestion time), `_ferry_updated_at` (when it last changed) and `_ferry_hash` (MD5 of
 * the row's data columns).
 */
export const VERSION_COLUMN = '_ferry_version';
export const CREATED_COLUMN = '_ferry_created_at';
export const UPDATED_COLUMN = '_ferry_updated_at';
export const ROW_HASH_COLUMN = '_ferry_hash';
export const DATASET_INTERNAL_COLUMNS = [
  VERSION_COLUMN,
  CREATED_COLUMN,
  UPDATED_COLUMN,
  ROW_HASH_COLUMN,
] as const;

/** The merge's key column (the key as JSON text, or its md5 by digest), on both sides of its join. */
export const MERGE_KEY_COLUMN = '_ferry_k';

export type MergeMode = 'upsert' | 'update' | 'insert' | 'append' | 'mirror';

/**
 * Which row of a run a key keeps when the run holds it twice. insert and append keep the first: a key
 * already in the dataset is skipped there, so a repeat within one run is skipped too, and the outcome
 * does not depend on whether two files came in one run or two. The other modes keep the last row.
 */
export function firstRowWins(mode: MergeMode): boolean {
  return mode === 'insert' || mode === 'append';
}
