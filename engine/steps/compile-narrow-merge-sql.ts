/**
 * The merge of a large run into an existing version (compile-merge-sql.ts, `compare: 'digest'`),
 * narrow, as the diff is (compile-diff-sql.ts). The wide merge by digests carries every column of this
 * run's rows through its join and into `joined`: a 100M-row upsert into a 100M-row dataset ran out of
 * memory there at the default 640 MiB. Here:
 * - `joined` holds one narrow row per incoming row (row number, key digest, kind, applied, the
 *   current row's created_at), from a join whose two sides are narrow and fixed-width: this run's
 *   row numbers, key digests and row hashes (two 64-bit integers), against the current version's key
 *   digests, row hashes and created_at (the stored hash; when this run adds a column, the hash over
 *   the new columns with the added ones NULL, as the wide merge computes it; when it leaves a current
 *   column out, both sides' hashes over this run's columns only: `compareHash`);
 * - the next version is the current rows this run does not write, read again from its file (an
 *   unchanged row is the current row, bookkeeping and import time included), and the rows it writes
 *   (created, updated), their columns taken from this run's rows by row number: both joins build on
 *   a table of the written rows' keys and row numbers (`merge_written`), a run that leaves columns out
 *   takes their current values for the written keys from a table of their own (`merge_left_out`),
 *   and a mirror's kept rows also build on a table of the keys it drops (`merge_dropped`).
 * Counts and superseded rows read `joined` as the wide merge does, a mirror's deletes read
 * `merge_dropped`; what needs a row's columns (sampled keys, rows not applied, relations) takes them
 * by row number.
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import {
  CREATED_COLUMN,
  MERGE_KEY_COLUMN as K,
  ROW_HASH_COLUMN,
  UPDATED_COLUMN,
  VERSION_COLUMN,
  type MergeMode,
} from './dataset-columns.js';
import { md5Halves } from './md5-halves-sql.js';

export interface NarrowMergeSql {
  createJoined: string;
  sampleKeys: (kind: 'unmatched' | 'skipped', limit: number) => string;
  createNext: string[];
  /** A mirror without held deletes only: its deletes, from `merge_dropped` (else the wide merge's). */
  countDeleted?: string;
  sampleDeleted?: (limit: number) => string;
  createNotApplied: string;
  appliedRows: string;
}

export function compileNarrowMergeSql(input: {
  /** The data columns: the current version's, in its order, then the ones this run adds. */
  columns: readonly string[];
  rowColumn: string;
  mode: MergeMode;
  version: number;
  /** The run time, as SQL. */
  now: string;
  holdDeletes: boolean;
  /** The key as text, over the columns of `alias`. */
  keyText: (alias?: string) => string;
  /** This run's columns, in its order: what a row not applied shows. */
  incomingColumns: readonly string[];
  /** The row hash over every data column, `expr` giving each column's value. */
  hashOf: (expr: (column: string) => string) => string;
  /** A current row as the next version keeps it (alias `c`). */
  currentRow: string;
  /**
   * What tells a changed row: this run's row hashed (its columns unaliased, from `dataset_incoming`)
   * and the current row hashed the same way (alias `c`). Over every column when the run writes every
   * current column, else over the run's columns only: a column the run leaves out keeps its current
   * value, so the merged row differs from the current one exactly where the run's columns do.
   */
  compareHash: { incoming: string; current: string };
  /** Why a row is not applied, as SQL. */
  reason: string;
  /** The kind and applied expressions over `_ferry_exists` and `_ferry_differs`. */
  kind: string;
  applied: string;
}): NarrowMergeSql {
  const R = q(input.rowColumn);
  const cols = input.columns.map(q);
  // The current columns this run leaves out: a written row keeps their current values.
  const leftOut = input.columns.filter((c) => !input.incomingColumns.includes(c));
  const incoming = `SELECT ${K}, ${R}, ${md5Halves(input.compareHash.incoming, '_ferry_n')} FROM dataset_incoming`;
  const current = `SELECT c.${K}, ${md5Halves(input.compareHash.current, '_ferry_o')}, c.${q(CREATED_COLUMN)} FROM dataset_current c`;
  const pick =
    `SELECT i.${K}, i.${R}, c.${K} IS NOT NULL AS _ferry_exists, ` +
    `(c._ferry_o1 IS DISTINCT FROM i._ferry_n1 OR c._ferry_o2 IS DISTINCT FROM i._ferry_n2) AS _ferry_differs, ` +
    `c.${q(CREATED_COLUMN)} AS _ferry_old_created FROM (${incoming}) i LEFT JOIN (${current}) c ON c.${K} = i.${K}`;
  const written = `_ferry_applied AND _ferry_kind IN ('created', 'updated')`;
  // The written rows' keys and row numbers, as a table of their own: both joins of the next version
  // build their hash tables on it, which the planner sees to be the small side only when it knows its
  // size (a filter over joined it would estimate, and could build on the version's wide rows instead).
  const createWritten = `CREATE TABLE merge_written AS SELECT ${K}, ${R}, _ferry_old_created FROM joined WHERE ${written}`;
  // A run that leaves current columns out: their current values for the written keys, as a table of
  // their own too (a semi-join building on merge_written), which the written rows join by key.
  const createLeftOut = `CREATE TABLE merge_left_out AS SELECT c.${K}, ${leftOut.map((c) => `c.${q(c)}`).join(', ')} FROM dataset_current c SEMI JOIN merge_written w ON w.${K} = c.${K}`;
  // A written row: this run's columns, and the current values of those it leaves out (NULL when new).
  const mergedValue = (c: string) => (leftOut.includes(c) ? `v.${q(c)}` : `i.${q(c)}`);
  // This run's rows picked by row number from joined (after its superseded rows are dropped).
  const rowsOf = (filter: string, select = 'i.*') =>
    `SELECT ${select} FROM dataset_incoming i JOIN (SELECT ${R} FROM joined WHERE ${filter}) p ON p.${R} = i.${R}`;
  const writtenRows =
    `SELECT ${input.columns.map((c) => `${mergedValue(c)} AS ${q(c)}`).join(', ')}, ${input.version} AS ${q(VERSION_COLUMN)}, ` +
    `coalesce(w._ferry_old_created, ${input.now}) AS ${q(CREATED_COLUMN)}, ${input.now} AS ${q(UPDATED_COLUMN)}, ` +
    `${input.hashOf(mergedValue)} AS ${q(ROW_HASH_COLUMN)} ` +
    `FROM dataset_incoming i JOIN merge_written w ON w.${R} = i.${R}` +
    (leftOut.length > 0 ? ` LEFT JOIN merge_left_out v ON v.${K} = w.${K}` : '');
  const kept = (filter: string) => `SELECT ${input.currentRow} FROM dataset_current c${filter}`;
  // mirror without held deletes: the current keys this run does not have, as a table of their own too,
  // which the count and the sample of deletes read. A semi-join with this run's unchanged keys (a filter
  // over joined) filled the bench machine's disk with spill at 100M rows (RUN_DISK_FULL in the COPY).
  const dropsKeys = input.mode === 'mirror' && !input.holdDeletes;
  const createDropped = `CREATE TABLE merge_dropped AS SELECT c.${K} FROM dataset_current c ANTI JOIN joined j ON j.${K} = c.${K}`;
  let keptRows: string;
  switch (input.mode) {
    case 'mirror':
    case 'upsert':
    case 'update':
      // A current row stays unless this run writes it; a mirror without held deletes also drops the
      // rows whose key this run does not have (it keeps only its unchanged rows).
      keptRows = kept(
        ` ANTI JOIN merge_written w ON w.${K} = c.${K}` +
          (dropsKeys ? ` ANTI JOIN merge_dropped d ON d.${K} = c.${K}` : ''),
      );
      break;
    case 'insert':
    case 'append':
      // Only new keys are written: every current row stays.
      keptRows = kept('');
      break;
  }
  const bookkeeping = [VERSION_COLUMN, CREATED_COLUMN, UPDATED_COLUMN, ROW_HASH_COLUMN].map(q);
  return {
    createJoined:
      `CREATE TABLE joined AS SELECT ${K}, ${R}, _ferry_old_created, ${input.kind} AS _ferry_kind, ` +
      `${input.applied} AS _ferry_applied FROM (${pick})`,
    sampleKeys: (kind, limit) =>
      `SELECT ${input.keyText('i')} AS k FROM dataset_incoming i JOIN (SELECT ${R} FROM joined ` +
      `WHERE _ferry_kind = ${quoteLiteral(kind)} ORDER BY ${R} LIMIT ${limit}) p ON p.${R} = i.${R} ORDER BY i.${R}`,
    createNext: [
      createWritten,
      ...(leftOut.length > 0 ? [createLeftOut] : []),
      ...(dropsKeys ? [createDropped] : []),
      `CREATE VIEW next_version AS SELECT ${[...cols, ...bookkeeping].join(', ')} FROM (${keptRows} UNION ALL BY NAME ${writtenRows})`,
    ],
    ...(dropsKeys
      ? {
          countDeleted: 'SELECT count(*) AS n FROM merge_dropped',
          sampleDeleted: (limit: number) =>
            `SELECT ${input.keyText('c')} AS k FROM dataset_current c SEMI JOIN merge_dropped d ON d.${K} = c.${K} ORDER BY 1 LIMIT ${limit}`,
        }
      : {}),
    createNotApplied: `CREATE VIEW not_applied AS ${rowsOf('NOT _ferry_applied', `${input.incomingColumns.map((c) => `i.${q(c)}`).join(', ')}, i.${R}, ${input.reason} AS _ferry_reason`)}`,
    appliedRows: `(${rowsOf('_ferry_applied')})`,
  };
}
