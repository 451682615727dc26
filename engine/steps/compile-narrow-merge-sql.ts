/**
 * The merge of a large run that writes every column of the current version, and maybe new ones
 * (compile-merge-sql.ts, `compare: 'digest'`), narrow, as the diff is (compile-diff-sql.ts). The wide
 * merge by digests carries every column of this run's rows through its join and into `joined`: a
 * 100M-row upsert into a 100M-row dataset ran out of memory there at the default 640 MiB. Here:
 * - `joined` holds one narrow row per incoming row (row number, key digest, kind, applied, the
 *   current row's created_at), from a join whose two sides are narrow and fixed-width: this run's
 *   row numbers, key digests and row hashes (two 64-bit integers), against the current version's key
 *   digests, row hashes and created_at (the stored hash, or, when this run adds a column, the hash
 *   over the new columns with the added ones NULL, as the wide merge computes it);
 * - the next version is the current rows this run does not write, read again from its file (an
 *   unchanged row is the current row, bookkeeping and import time included), and the rows it writes
 *   (created, updated), their columns taken from this run's rows by row number: both joins build on
 *   a table of the written rows' keys and row numbers (`merge_written`), and a mirror's also on a
 *   table of the keys it drops (`merge_dropped`).
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
  /** The row hash over every data column, `expr` giving each column's value. */
  hashOf: (expr: (column: string) => string) => string;
  /** A current row as the next version keeps it (alias `c`). */
  currentRow: string;
  /** The current row's hash over `columns` (alias `c`), to compare this run's rows with. */
  currentHash: string;
  /** Why a row is not applied, as SQL. */
  reason: string;
  /** The kind and applied expressions over `_ferry_exists` and `_ferry_differs`. */
  kind: string;
  applied: string;
}): NarrowMergeSql {
  const R = q(input.rowColumn);
  const cols = input.columns.map(q);
  const incoming = `SELECT ${K}, ${R}, ${md5Halves(
    input.hashOf((c) => q(c)),
    '_ferry_n',
  )} FROM dataset_incoming`;
  const current = `SELECT c.${K}, ${md5Halves(input.currentHash, '_ferry_o')}, c.${q(CREATED_COLUMN)} FROM dataset_current c`;
  const pick =
    `SELECT i.${K}, i.${R}, c.${K} IS NOT NULL AS _ferry_exists, ` +
    `(c._ferry_o1 IS DISTINCT FROM i._ferry_n1 OR c._ferry_o2 IS DISTINCT FROM i._ferry_n2) AS _ferry_differs, ` +
    `c.${q(CREATED_COLUMN)} AS _ferry_old_created FROM (${incoming}) i LEFT JOIN (${current}) c ON c.${K} = i.${K}`;
  const written = `_ferry_applied AND _ferry_kind IN ('created', 'updated')`;
  // The written rows' keys and row numbers, as a table of their own: both joins of the next version
  // build their hash tables on it, which the planner sees to be the small side only when it knows its
  // size (a filter over joined it would estimate, and could build on the version's wide rows instead).
  const createWritten = `CREATE TABLE merge_written AS SELECT ${K}, ${R}, _ferry_old_created FROM joined WHERE ${written}`;
  // This run's rows picked by row number from joined (after its superseded rows are dropped).
  const rowsOf = (filter: string, select = 'i.*') =>
    `SELECT ${select} FROM dataset_incoming i JOIN (SELECT ${R} FROM joined WHERE ${filter}) p ON p.${R} = i.${R}`;
  const writtenRows =
    `SELECT ${input.columns.map((c) => `i.${q(c)}`).join(', ')}, ${input.version} AS ${q(VERSION_COLUMN)}, ` +
    `coalesce(w._ferry_old_created, ${input.now}) AS ${q(CREATED_COLUMN)}, ${input.now} AS ${q(UPDATED_COLUMN)}, ` +
    `${input.hashOf((c) => `i.${q(c)}`)} AS ${q(ROW_HASH_COLUMN)} ` +
    `FROM dataset_incoming i JOIN merge_written w ON w.${R} = i.${R}`;
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
    createNotApplied: `CREATE VIEW not_applied AS ${rowsOf('NOT _ferry_applied', `${cols.map((c) => `i.${c}`).join(', ')}, i.${R}, ${input.reason} AS _ferry_reason`)}`,
    appliedRows: `(${rowsOf('_ferry_applied')})`,
  };
}
