/**
 * Writing into a dataset as SQL: one merge of this run's rows into the current version, by mode.
 * Pure: names, columns and the mode in; statements out. Rows in a dataset carry four internal
 * columns (dataset-columns.ts): the version that last changed the row, when it was created and last
 * updated, and the MD5 of its data columns.
 *
 *   upsert  create new keys, update existing ones (only the columns this run provides)
 *   update  update existing keys only; unmatched keys are counted (and optionally written aside)
 *   insert  create new keys only; existing keys are skipped
 *   append  events: add rows, skipping keys already present (re-sent events are not duplicated)
 *   mirror  upsert, and delete keys absent from this run (unless `holdDeletes`)
 *
 * Changed vs unchanged compares the whole merged row with the whole current row (over every column
 * of either), so a pipeline that writes only some columns does not "update" rows it leaves as they
 * are, and a column another pipeline added does not make every row look changed.
 *
 * Cost: when this run adds no column, the current rows' stored `_ferry_hash` is their hash, so only
 * the merged rows are hashed (once); untouched rows keep theirs. The new version is written in no
 * particular order: readers of a dataset order by key themselves.
 *
 * A run past the database-file threshold joins by digests (`compare: 'digest'`), as the diff does
 * (compile-diff-sql.ts): the key's md5 as one 128-bit integer, the old row hash as two 64-bit ones, and
 * only the current columns the merge reads, so the join's build side is narrow and fixed-width. Over
 * text, a 100M-row upsert into a 100M-row dataset ran out of memory at the default 640 MiB; at 15M
 * rows the text join needed more than 128MB and the digest join passed within it. At 1M rows the
 * digests cost time (the upsert 1.27× the raw merge by text, 1.55× by digest, one bench run), so runs
 * that fit keep the text join. Two keys with one md5 would be taken for one key: the trust already
 * placed in md5 for the row hash. That join still carried this run's every column into `joined`, and
 * a 100M-row upsert into a 100M-row dataset still ran out of memory there at 640 MiB: a large run
 * into an existing version merges narrow instead (compile-narrow-merge-sql.ts), as the diff does,
 * whether it writes every current column, adds some or leaves some out. The wide form by digests is
 * left for a large run into a new dataset (no current version, nothing to join) and one that leaves a
 * column out and fills an import time (below).
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { compileDuplicateKeysSql, type DuplicateKeysSql } from './compile-duplicate-keys-sql.js';
import { hashedValue, type ImportTime } from './import-time.js';
import { md5Half, md5Halves } from './md5-halves-sql.js';
import { compileNarrowMergeSql } from './compile-narrow-merge-sql.js';
import {
  CREATED_COLUMN,
  firstRowWins,
  MERGE_KEY_COLUMN,
  ROW_HASH_COLUMN,
  UPDATED_COLUMN,
  VERSION_COLUMN,
  type MergeMode,
} from './dataset-columns.js';

export * from './dataset-columns.js';
export type MergeKind = 'created' | 'updated' | 'unchanged' | 'skipped' | 'unmatched';

export interface MergeSql {
  /** This run's rows with their key: a view, read once by createJoined. */
  createIncoming: string;
  createCurrent: string;
  /**
   * Incoming rows joined with the current ones, materialized once: merged row, `_ferry_kind`,
   * `_ferry_applied`. Every later statement reads it instead of the incoming rows.
   */
  createJoined: string;
  /** Rows of joined with the same key as a later row (compile-duplicate-keys-sql.ts; 0 in the common case). */
  superseded: DuplicateKeysSql;
  /** One pass over joined: one count per kind (created, updated, unchanged, skipped, unmatched). */
  countJoined: string;
  /**
   * Keep one row per key (only run when there are superseded rows, before countJoined): the last one,
   * or the first one for insert and append (firstRowWins).
   */
  dropSuperseded: string;
  /** The keys mirror deletes, counted (after createNext: the narrow merge counts a table it makes). */
  countDeleted: string;
  /** The first `limit` keys of a kind (unmatched, skipped) in source order, as text. */
  sampleKeys: (kind: 'unmatched' | 'skipped', limit: number) => string;
  /** The first `limit` keys mirror deletes, as text, in key order (after createNext, as countDeleted). */
  sampleDeleted: (limit: number) => string;
  /** The next version's view and what it builds on; run after countJoined, before countDeleted. */
  createNext: string[];
  /** Incoming rows that are not applied (update: unmatched keys; insert: existing keys), with a reason. */
  createNotApplied: string;
  /** The rows this run applies, with their columns: a relation (relations are checked over it). */
  appliedRows: string;
  /** Writes next_version; the statement's result is the number of rows written. */
  writeNext: (path: string) => string;
}

export const MERGE_KINDS: readonly MergeKind[] = ['created', 'updated', 'unchanged', 'skipped', 'unmatched'];

const K = MERGE_KEY_COLUMN;

/**
 * The row identity as text (types may differ between runs): a one-column key is its value as text,
 * a longer one a JSON object of them. Key values are never NULL here (such rows are rejected first).
 */
export function keyJsonExpr(key: readonly string[], alias?: string): string {
  const ref = (c: string) => (alias ? `${alias}.${q(c)}` : q(c));
  const [only] = key;
  if (key.length === 1 && only !== undefined) return `CAST(${ref(only)} AS VARCHAR)`;
  return `CAST(to_json({${key.map((c) => `${quoteLiteral(c)}: CAST(${ref(c)} AS VARCHAR)`).join(', ')}}) AS VARCHAR)`;
}

/**
 * A row's kind and whether it is applied, by mode, as SQL over `_ferry_exists` (its key is in the
 * current version) and `changed` (an expression: it is new, or its row hash differs).
 */
function kindOf(mode: MergeMode, changed: string): { kind: string; applied: string } {
  switch (mode) {
    case 'upsert':
    case 'mirror':
      return {
        kind: `CASE WHEN NOT _ferry_exists THEN 'created' WHEN ${changed} THEN 'updated' ELSE 'unchanged' END`,
        applied: 'true',
      };
    case 'update':
      return {
        kind: `CASE WHEN NOT _ferry_exists THEN 'unmatched' WHEN ${changed} THEN 'updated' ELSE 'unchanged' END`,
        applied: '_ferry_exists',
      };
    case 'insert':
    case 'append':
      return {
        kind: `CASE WHEN _ferry_exists THEN 'skipped' ELSE 'created' END`,
        applied: 'NOT _ferry_exists',
      };
  }
}

/** MD5 over the named columns in name order (`expr` gives each column's value). */
function rowHash(columns: readonly string[], expr: (column: string) => string): string {
  const sorted = [...columns].sort();
  return `md5(CAST(to_json({${sorted.map((c) => `${quoteLiteral(c)}: ${expr(c)}`).join(', ')}}) AS VARCHAR))`;
}

export function compileMergeSql(input: {
  /** Valid mapped rows (no reject column), with `rowColumn` for "last row per key wins". */
  incomingTable: string;
  incomingColumns: readonly string[];
  rowColumn: string;
  /** Local Parquet of the current version, or undefined for a new dataset. */
  currentFile: string | undefined;
  /** Columns of the current version (data columns only), when it exists. */
  currentColumns: readonly string[];
  key: readonly string[];
  mode: MergeMode;
  version: number;
  runTime: Date;
  /** mirror: keep keys absent from this run (some source rows were rejected, their keys unknown). */
  holdDeletes?: boolean;
  /** A column filled with the import time: not data for change detection; unchanged rows keep theirs. */
  importTime?: ImportTime | undefined;
  /** How this run's rows find their current row: by the key's text (default), or by digests (large runs). */
  compare?: 'text' | 'digest';
}): MergeSql {
  const { key, mode } = input;
  const inCols = [...input.incomingColumns];
  const curCols = input.currentFile ? [...input.currentColumns] : [];
  // The new version's columns: the current ones in their order, then the ones this run adds.
  const allCols = [...curCols, ...inCols.filter((c) => !curCols.includes(c))];
  const now = `CAST(${quoteLiteral(input.runTime.toISOString())} AS TIMESTAMPTZ)`;
  const emptyCurrent =
    `SELECT ${inCols.map(q).join(', ')}, CAST(NULL AS BIGINT) AS ${q(VERSION_COLUMN)}, CAST(NULL AS TIMESTAMPTZ) AS ${q(CREATED_COLUMN)}, ` +
    `CAST(NULL AS TIMESTAMPTZ) AS ${q(UPDATED_COLUMN)}, CAST(NULL AS VARCHAR) AS ${q(ROW_HASH_COLUMN)} FROM ${q(input.incomingTable)} WHERE false`;
  // The merged row: this run's columns from the incoming row, the others kept from the current row.
  const merged = (c: string) => (inCols.includes(c) ? `i.${q(c)}` : `c.${q(c)}`);
  const old = (c: string) => (curCols.includes(c) ? `c.${q(c)}` : 'NULL');
  // Same columns as the current version: its stored hashes are valid for the new version too.
  const sameColumns = input.currentFile !== undefined && allCols.length === curCols.length;
  const { importTime } = input;
  const hashOf = (expr: (c: string) => string) =>
    rowHash(allCols, (c) => hashedValue(c, importTime, expr(c)));
  const oldHash = sameColumns ? `c.${q(ROW_HASH_COLUMN)}` : hashOf(old);
  // An unchanged row keeps the import time it was first given.
  const keepsOld = importTime && allCols.includes(importTime.column) ? importTime.column : undefined;
  const digest = input.compare === 'digest';
  // The row's identity on both sides of the join: its text, or that text's md5 as one 128-bit integer.
  const keyOf = (alias?: string) =>
    digest ? `md5_number(${keyJsonExpr(key, alias)})` : keyJsonExpr(key, alias);
  // By digest, the current side of the join carries only what the merge reads from it, narrow: the key's
  // digest, the old row hash as two 64-bit integers, the bookkeeping, and the columns this run does not
  // provide (or an import time to keep). The current rows nobody touches are read again by the COPY.
  const joinedCurrent = digest
    ? `(SELECT c.${K}, ${md5Halves(oldHash, '_ferry_h')}, ` +
      [VERSION_COLUMN, CREATED_COLUMN, UPDATED_COLUMN]
        .concat(curCols.filter((c) => !inCols.includes(c) || c === keepsOld))
        .map((c) => `c.${q(c)}`)
        .join(', ') +
      ` FROM dataset_current c)`
    : 'dataset_current';
  // Inner level: the merged row, the current row's bookkeeping and both row hashes.
  const inner = [
    ...allCols.map((c) => `${merged(c)} AS ${q(c)}`),
    `c.${q(VERSION_COLUMN)} AS _ferry_old_version`,
    `c.${q(CREATED_COLUMN)} AS _ferry_old_created`,
    `c.${q(UPDATED_COLUMN)} AS _ferry_old_updated`,
    `c.${K} IS NOT NULL AS _ferry_exists`,
    ...(keepsOld !== undefined ? [`${old(keepsOld)} AS _ferry_old_import_time`] : []),
    ...(digest
      ? ['c._ferry_h1 AS _ferry_old_h1', 'c._ferry_h2 AS _ferry_old_h2']
      : [`${oldHash} AS _ferry_old_hash`]),
    `${hashOf(merged)} AS _ferry_new_hash`,
    `i.${K}`,
    `i.${q(input.rowColumn)}`,
  ];
  const changed = digest
    ? `(NOT _ferry_exists OR _ferry_old_h1 IS DISTINCT FROM ${md5Half('_ferry_new_hash', 'left')} OR _ferry_old_h2 IS DISTINCT FROM ${md5Half('_ferry_new_hash', 'right')})`
    : `(NOT _ferry_exists OR _ferry_old_hash IS DISTINCT FROM _ferry_new_hash)`;
  const { kind, applied } = kindOf(mode, changed);
  const outer = [
    ...allCols.map((c) =>
      c === keepsOld ? `CASE WHEN ${changed} THEN ${q(c)} ELSE _ferry_old_import_time END AS ${q(c)}` : q(c),
    ),
    `CASE WHEN ${changed} THEN ${input.version} ELSE _ferry_old_version END AS ${q(VERSION_COLUMN)}`,
    `coalesce(_ferry_old_created, ${now}) AS ${q(CREATED_COLUMN)}`,
    `CASE WHEN ${changed} THEN ${now} ELSE _ferry_old_updated END AS ${q(UPDATED_COLUMN)}`,
    `_ferry_new_hash AS ${q(ROW_HASH_COLUMN)}`,
    // A row not applied (insert: an existing key) is reported with this run's value, not the kept one.
    ...(keepsOld !== undefined ? [`${q(keepsOld)} AS _ferry_incoming_import_time`] : []),
    K,
    q(input.rowColumn),
    `${kind} AS _ferry_kind`,
    `${applied} AS _ferry_applied`,
  ];
  const bookkeeping = [VERSION_COLUMN, CREATED_COLUMN, UPDATED_COLUMN, ROW_HASH_COLUMN];
  // Current rows have the current columns only; UNION ALL BY NAME gives them NULL in the new ones
  // (and a hash over the new column set then).
  const currentRow = [
    ...[...(input.currentFile ? curCols : inCols), VERSION_COLUMN, CREATED_COLUMN, UPDATED_COLUMN].map(
      (c) => `c.${q(c)}`,
    ),
    sameColumns ? `c.${q(ROW_HASH_COLUMN)}` : `${hashOf(old)} AS ${q(ROW_HASH_COLUMN)}`,
  ].join(', ');
  // joined holds every incoming key (superseded rows are dropped from it, never their key).
  const absent = `NOT EXISTS (SELECT 1 FROM joined j WHERE j.${K} = c.${K})`;
  const untouched = `SELECT ${currentRow} FROM dataset_current c WHERE ${absent}`;
  const appliedRows = `SELECT ${[...allCols, ...bookkeeping].map(q).join(', ')} FROM joined WHERE _ferry_applied`;
  let next: string;
  switch (mode) {
    case 'mirror':
      next = input.holdDeletes ? `${untouched} UNION ALL BY NAME ${appliedRows}` : appliedRows;
      break;
    case 'upsert':
    case 'update':
      next = `${untouched} UNION ALL BY NAME ${appliedRows}`;
      break;
    case 'insert':
    case 'append':
      // Existing keys keep their current row untouched.
      next = `SELECT ${currentRow} FROM dataset_current c UNION ALL BY NAME ${appliedRows}`;
      break;
  }
  const reason =
    mode === 'update'
      ? `'key not in dataset (mode: update)'`
      : mode === 'insert'
        ? `'key already in dataset (mode: insert)'`
        : 'NULL';
  // A large run into an existing version: the narrow merge. A run that writes every current column
  // compares its rows' hash over every column with the stored one (or, when it adds columns, with the
  // current rows' hash over them, the added ones NULL); a run that leaves some out compares the hashes
  // over its own columns only, as the others keep their current values. Not with an import time:
  // the stored hash read a row's import time as empty when it was that run's fill, which the current
  // row's value alone does not tell, so such a run merges wide, comparing with the stored hash.
  const leavesOut = curCols.some((c) => !inCols.includes(c));
  const compareHash = leavesOut
    ? {
        incoming: rowHash(inCols, (c) => q(c)),
        current: rowHash(inCols, (c) => old(c)),
      }
    : { incoming: hashOf((c) => q(c)), current: oldHash };
  const narrow: Partial<MergeSql> =
    digest && input.currentFile !== undefined && !(leavesOut && keepsOld !== undefined)
      ? compileNarrowMergeSql({
          columns: allCols,
          incomingColumns: inCols,
          rowColumn: input.rowColumn,
          mode,
          version: input.version,
          now,
          holdDeletes: input.holdDeletes === true,
          keyText: (alias) => keyJsonExpr(key, alias),
          hashOf,
          currentRow,
          compareHash,
          reason,
          ...kindOf(mode, '(NOT _ferry_exists OR _ferry_differs)'),
        })
      : {};
  return {
    createIncoming: `CREATE VIEW dataset_incoming AS SELECT ${inCols.map(q).join(', ')}, ${keyOf()} AS ${K}, ${q(input.rowColumn)} FROM ${q(input.incomingTable)}`,
    createCurrent: `CREATE VIEW dataset_current AS SELECT *, ${keyOf()} AS ${K} FROM (${
      input.currentFile ? `SELECT * FROM read_parquet(${quoteLiteral(input.currentFile)})` : emptyCurrent
    })`,
    createJoined:
      `CREATE TABLE joined AS SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} ` +
      `FROM dataset_incoming i LEFT JOIN ${joinedCurrent} c ON c.${K} = i.${K})`,
    // A row's kind depends on its own key only, so dropping superseded rows from joined afterwards
    // leaves the kinds a deduplicated batch would have had.
    superseded: compileDuplicateKeysSql('joined', K),
    countJoined: `SELECT ${MERGE_KINDS.map((k) => `count(*) FILTER (WHERE _ferry_kind = ${quoteLiteral(k)}) AS ${k}`).join(', ')} FROM joined`,
    dropSuperseded: `DELETE FROM joined WHERE rowid IN (SELECT rowid FROM joined QUALIFY row_number() OVER (PARTITION BY ${K} ORDER BY ${q(input.rowColumn)} ${firstRowWins(mode) ? 'ASC' : 'DESC'}) > 1)`,
    countDeleted:
      mode === 'mirror' && !input.holdDeletes
        ? `SELECT count(*) AS n FROM dataset_current c WHERE ${absent}`
        : 'SELECT 0 AS n',
    sampleKeys: (kind, limit) =>
      `SELECT ${keyJsonExpr(key)} AS k FROM joined WHERE _ferry_kind = ${quoteLiteral(kind)} ORDER BY ${q(input.rowColumn)} LIMIT ${limit}`,
    sampleDeleted: (limit) =>
      `SELECT ${keyJsonExpr(key, 'c')} AS k FROM dataset_current c WHERE ${absent} ORDER BY 1 LIMIT ${limit}`,
    // A view: the COPY below streams it, nothing is materialized twice.
    createNext: [
      `CREATE VIEW next_version AS SELECT ${[...allCols, ...bookkeeping].map(q).join(', ')} FROM (${next})`,
    ],
    // joined has one row per incoming key (after dropSuperseded), with this run's values of its columns.
    createNotApplied:
      `CREATE VIEW not_applied AS SELECT ${inCols.map((c) => (c === keepsOld ? `_ferry_incoming_import_time AS ${q(c)}` : q(c))).join(', ')}, ${q(input.rowColumn)}, ${reason} AS _ferry_reason ` +
      `FROM joined WHERE NOT _ferry_applied`,
    appliedRows: '(SELECT * FROM joined WHERE _ferry_applied)',
    writeNext: (path) => `COPY next_version TO ${quoteLiteral(path)} (FORMAT parquet)`,
    ...narrow,
  };
}
