/**
 * The diff step as SQL: a hash join of this run's rows against the previous run's snapshot
 * (key + row hash, Parquet). Keys are compared as JSON of their VARCHAR values, so a type change in
 * a mapping does not make every row look new; the row hash covers every output column (an
 * import-time fill read as empty, so it never makes a row changed).
 *
 * A run past the database-file threshold (choose-duckdb-storage.ts) compares by digests instead of
 * text (`compare: 'digest'`): DuckDB 1.5's hash join, spilling or not, needs memory in proportion to its
 * build side, and text keys and hashes take the most. The join of 15M rows' text keys and hashes with
 * a 15M-row snapshot ran out of memory at 96 MB (2 threads); the same join over a 128-bit digest of the
 * key (`md5_number`) and the row hash as two 64-bit integers passed at 15M and 20M rows (failing at
 * 30M), where sorting both sides by key instead failed too. The digests cost time (0.65 s for the
 * join at 1M rows, against 0.17 s over text), so runs that fit keep the text join. Two keys with one
 * md5 would be taken for one key (an added row counted as changed, a removed key without its
 * tombstone): the trust already placed in md5 for the row hash.
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { emptyKeyReason, REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { hashedValue, type ImportTime } from './import-time.js';
import { md5Halves } from './md5-halves-sql.js';
import { compileDuplicateKeysSql, type DuplicateKeysSql } from './compile-duplicate-keys-sql.js';

export const KEY_COLUMN = '_ferry_key';
export const HASH_COLUMN = '_ferry_hash';
export const DIFF_COLUMN = '_ferry_diff';

export interface DiffSql {
  /**
   * current: one narrow row per valid mapped row (row number, key, hash, key columns), in source
   * order. The data columns stay in the mapped view; the added and changed rows take them from there.
   */
  createCurrent: string;
  /** Rows of current that share a key with a later row (compile-duplicate-keys-sql.ts; 0 in the common case). */
  superseded: DuplicateKeysSql;
  /** Keep the last row per key (only run when there are superseded rows). */
  dropSuperseded: string;
  /** Rows in the previous snapshot (Parquet metadata; keys there are unique). */
  countPrevious: string;
  /**
   * added and changed rows, in source order, with their kind: the narrow join of current against the
   * snapshot picks the rows, the mapped view gives their columns. Without a previous snapshot every
   * current row is added, so it is a view over the mapped rows (already in source order, nothing to
   * join or sort); `superseded` says whether current dropped rows the view must leave out too.
   * Statements in order: by digest, the pick is a table of its own first, so that the two joins' hash
   * tables are never built at once.
   */
  createChanged: (
    table: string,
    dataColumns: readonly string[],
    orderColumn: string,
    options: { superseded: boolean },
  ) => string[];
  /**
   * rejected_keys: one row per mapped row rejected this run, with its key and whether the key reads
   * (every key column set) or is empty (rejected for its empty key, so it names no record). Without
   * a diff key a row is its own key, which a rejected row's values cannot give: none reads.
   */
  createRejectedKeys: string;
  /**
   * gone: the snapshot's entries whose key is not in current, each with whether it is held: a key
   * still sent in a rejected row (rejected_keys), or every one when `holdAll` (a rejected row's key is
   * unknown). A held key is not removed and keeps its entry, hash included, in the new snapshot.
   */
  createGone: (options: { holdAll: boolean; rejectedKeys: boolean }) => string;
  countHeld: string;
  /** Removed keys (for tombstones): gone and not held, key columns as VARCHAR. */
  createRemoved: string;
  /** The new snapshot: current, then (with `held`) the held entries of gone. */
  writeSnapshot: (path: string, options?: { held: boolean }) => string;
}

/** A column of gone: whether the entry is held rather than removed. */
const HELD_COLUMN = '_ferry_held';

function keyExpr(
  key: readonly string[] | null,
  columns: readonly string[],
  importTime: ImportTime | undefined,
): string {
  // Without a key the row is its own key: a filled import time is not part of it.
  const value = (c: string) => (key ? q(c) : hashedValue(c, importTime));
  const parts = (key ?? columns).map((c) => `${quoteLiteral(c)}: CAST(${value(c)} AS VARCHAR)`);
  return `CAST(to_json({${parts.join(', ')}}) AS VARCHAR)`;
}

function hashExpr(columns: readonly string[], importTime: ImportTime | undefined): string {
  const parts = columns.map((c) => `${quoteLiteral(c)}: ${hashedValue(c, importTime)}`);
  return `md5(CAST(to_json({${parts.join(', ')}}) AS VARCHAR))`;
}

/** Every key column set: a rejected row with this key still names its record. */
function keyReadsSql(key: readonly string[]): string {
  return key.map((c) => `${q(c)} IS NOT NULL`).join(' AND ');
}

export function compileDiffSql(input: {
  /** The mapped rows (a view: read once for the hashes, then for the added and changed rows). */
  mappedTable: string;
  columns: readonly string[];
  key: readonly string[] | null;
  /** Local path of the previous snapshot, or undefined on a first run. */
  previousSnapshot: string | undefined;
  /** A column filled with the import time, which the row hash reads as empty. */
  importTime?: ImportTime | undefined;
  /** How current and the snapshot are joined: by their text (default), or by digests (large runs). */
  compare?: 'text' | 'digest';
}): DiffSql {
  const { columns, key } = input;
  const keyColumns = key ?? [];
  const keyVarchar = keyColumns.map((c) => `CAST(${q(c)} AS VARCHAR) AS ${q(c)}`);
  const previous = input.previousSnapshot
    ? `read_parquet(${quoteLiteral(input.previousSnapshot)})`
    : `(SELECT CAST(NULL AS VARCHAR) AS ${q(KEY_COLUMN)}, CAST(NULL AS VARCHAR) AS ${q(HASH_COLUMN)}${keyColumns
        .map((c) => `, CAST(NULL AS VARCHAR) AS ${q(c)}`)
        .join('')} WHERE false)`;
  const K = q(KEY_COLUMN);
  const H = q(HASH_COLUMN);
  const R = q(ROW_COLUMN);
  const mapped = q(input.mappedTable);
  const digest = input.compare === 'digest';
  // The digests: the key's md5 as one 128-bit integer, the row hash (hex md5) as two 64-bit ones.
  const digests = (alias: string) =>
    `md5_number(${alias}.${K}) AS _ferry_kd, ${md5Halves(`${alias}.${H}`, '_ferry_h')}`;
  const picked = digest
    ? `SELECT c.${R}, CASE WHEN p._ferry_kd IS NULL THEN 'added' ELSE 'changed' END AS ${q(DIFF_COLUMN)} ` +
      `FROM (SELECT c.${R}, ${digests('c')} FROM current c) c LEFT JOIN (SELECT ${digests('p')} FROM ${previous} p) p ` +
      `ON p._ferry_kd = c._ferry_kd WHERE p._ferry_kd IS NULL OR p._ferry_h1 <> c._ferry_h1 OR p._ferry_h2 <> c._ferry_h2`
    : `SELECT c.${R}, CASE WHEN p.${K} IS NULL THEN 'added' ELSE 'changed' END AS ${q(DIFF_COLUMN)} ` +
      `FROM current c LEFT JOIN ${previous} p ON p.${K} = c.${K} WHERE p.${K} IS NULL OR p.${H} <> c.${H}`;
  const present = digest
    ? `md5_number(p.${K}) IN (SELECT md5_number(c.${K}) FROM current c)`
    : `EXISTS (SELECT 1 FROM current c WHERE c.${K} = p.${K})`;
  return {
    createCurrent:
      `CREATE TABLE current AS SELECT ${q(ROW_COLUMN)}, ${keyExpr(key, columns, input.importTime)} AS ${K}, ` +
      `${hashExpr(columns, input.importTime)} AS ${H}${keyColumns.length ? ', ' + keyColumns.map(q).join(', ') : ''} FROM ${mapped} WHERE ${q(REJECT_COLUMN)} IS NULL`,
    superseded: compileDuplicateKeysSql('current', KEY_COLUMN),
    dropSuperseded: `DELETE FROM current WHERE rowid IN (SELECT rowid FROM current QUALIFY row_number() OVER (PARTITION BY ${K} ORDER BY ${q(ROW_COLUMN)} DESC) > 1)`,
    countPrevious: `SELECT count(*) AS n FROM ${previous}`,
    createChanged: (table, dataColumns, orderColumn, options) => {
      const select = `${dataColumns.map((c) => `m.${q(c)}`).join(', ')}, m.${R} AS ${q(orderColumn)}`;
      if (!input.previousSnapshot) {
        const kept = options.superseded ? ` AND m.${R} IN (SELECT ${R} FROM current)` : '';
        return [
          `CREATE VIEW ${q(table)} AS SELECT ${select}, 'added' AS ${q(DIFF_COLUMN)} FROM ${mapped} m WHERE m.${q(REJECT_COLUMN)} IS NULL${kept}`,
        ];
      }
      const changed = (from: string) =>
        `CREATE TABLE ${q(table)} AS SELECT ${select}, d.${q(DIFF_COLUMN)} FROM ${mapped} m JOIN ${from} d ON d.${R} = m.${R} ORDER BY m.${R}`;
      if (!digest) return [changed(`(${picked})`)];
      return [`CREATE TABLE diff_picked AS ${picked}`, changed('diff_picked'), 'DROP TABLE diff_picked'];
    },
    createRejectedKeys: key
      ? `CREATE TABLE rejected_keys AS SELECT ${keyExpr(key, columns, input.importTime)} AS ${K}, ` +
        `${keyReadsSql(key)} AS readable, ${q(REJECT_COLUMN)} IN (${key.map((c) => quoteLiteral(emptyKeyReason(c))).join(', ')}) AS empty ` +
        `FROM ${mapped} WHERE ${q(REJECT_COLUMN)} IS NOT NULL`
      : `CREATE TABLE rejected_keys AS SELECT CAST(NULL AS VARCHAR) AS ${K}, false AS readable, false AS empty FROM ${mapped} WHERE ${q(REJECT_COLUMN)} IS NOT NULL`,
    createGone: ({ holdAll, rejectedKeys }) => {
      const held = holdAll
        ? 'true'
        : rejectedKeys
          ? `p.${K} IN (SELECT ${K} FROM rejected_keys WHERE readable)`
          : 'false';
      return `CREATE TABLE gone AS SELECT p.*, ${held} AS ${q(HELD_COLUMN)} FROM ${previous} p WHERE NOT ${present}`;
    },
    countHeld: `SELECT count(*) AS n FROM gone WHERE ${q(HELD_COLUMN)}`,
    createRemoved: `CREATE TABLE removed AS SELECT * EXCLUDE (${q(HELD_COLUMN)}) FROM gone WHERE NOT ${q(HELD_COLUMN)} ORDER BY ${K}`,
    writeSnapshot: (path, options) => {
      const fromCurrent = `SELECT ${K}, ${H}${keyVarchar.length ? ', ' + keyVarchar.join(', ') : ''} FROM current`;
      // current is in source order (no sort needed for a deterministic file).
      if (!options?.held) return `COPY (${fromCurrent}) TO ${quoteLiteral(path)} (FORMAT parquet)`;
      // Held entries follow, in key order; only an ORDER BY pins the order of a UNION.
      const keys = keyColumns.length ? ', ' + keyColumns.map(q).join(', ') : '';
      return (
        `COPY (SELECT ${K}, ${H}${keys} FROM (SELECT ${K}, ${H}${keyVarchar.length ? ', ' + keyVarchar.join(', ') : ''}, 0 AS _ferry_part, ${R} AS _ferry_at FROM current ` +
        `UNION ALL SELECT ${K}, ${H}${keys}, 1, row_number() OVER (ORDER BY ${K}) FROM gone WHERE ${q(HELD_COLUMN)}) ORDER BY _ferry_part, _ferry_at) TO ${quoteLiteral(path)} (FORMAT parquet)`
      );
    },
  };
}
