/**
 * Writing into a dataset as SQL: one merge of this run's rows into the current version, by mode.
 * Pure: names, columns and the mode in; statements out. Rows in a dataset carry four internal
 * columns: `_ferry_version` (the dataset version that last changed the row — drives since_last_run),
 * `_ferry_created_at` (when the row was first written: for events, the ingestion time),
 * `_ferry_updated_at` (when it last changed) and `_ferry_hash` (MD5 of the row's data columns).
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
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';

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

export type MergeMode = 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
export type MergeKind = 'created' | 'updated' | 'unchanged' | 'skipped' | 'unmatched';

export interface MergeSql {
  /** This run's rows, the last row per key winning. */
  createIncoming: string;
  /** Rows of the batch superseded by a later row with the same key: n. */
  countSuperseded: string;
  createCurrent: string;
  /** Incoming rows joined with the current ones: merged row, `_ferry_kind`, `_ferry_applied`. */
  createJoined: string;
  /** Rows: kind ∈ created | updated | unchanged | unmatched | skipped, n. */
  countKinds: string;
  countDeleted: string;
  createNext: string;
  /** Incoming rows that are not applied (update: unmatched keys; insert: existing keys), with a reason. */
  createNotApplied: string;
  writeNext: (path: string) => string;
}

const K = '_ferry_k';

/** The row identity: the key columns as text in one JSON object (types may differ between runs). */
export function keyJsonExpr(key: readonly string[], alias?: string): string {
  const ref = (c: string) => (alias ? `${alias}.${q(c)}` : q(c));
  return `CAST(to_json({${key.map((c) => `${quoteLiteral(c)}: CAST(${ref(c)} AS VARCHAR)`).join(', ')}}) AS VARCHAR)`;
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
  // Inner level: the merged row, the current row's bookkeeping and both row hashes.
  const inner = [
    ...allCols.map((c) => `${merged(c)} AS ${q(c)}`),
    `c.${q(VERSION_COLUMN)} AS _ferry_old_version`,
    `c.${q(CREATED_COLUMN)} AS _ferry_old_created`,
    `c.${q(UPDATED_COLUMN)} AS _ferry_old_updated`,
    `c.${K} IS NOT NULL AS _ferry_exists`,
    `${rowHash(allCols, old)} AS _ferry_old_hash`,
    `${rowHash(allCols, merged)} AS _ferry_new_hash`,
    `i.${K}`,
    `i.${q(input.rowColumn)}`,
  ];
  const changed = `(NOT _ferry_exists OR _ferry_old_hash IS DISTINCT FROM _ferry_new_hash)`;
  let kind: string;
  let applied: string;
  switch (mode) {
    case 'upsert':
    case 'mirror':
      kind = `CASE WHEN NOT _ferry_exists THEN 'created' WHEN ${changed} THEN 'updated' ELSE 'unchanged' END`;
      applied = 'true';
      break;
    case 'update':
      kind = `CASE WHEN NOT _ferry_exists THEN 'unmatched' WHEN ${changed} THEN 'updated' ELSE 'unchanged' END`;
      applied = '_ferry_exists';
      break;
    case 'insert':
    case 'append':
      kind = `CASE WHEN _ferry_exists THEN 'skipped' ELSE 'created' END`;
      applied = 'NOT _ferry_exists';
      break;
  }
  const outer = [
    ...allCols.map(q),
    `CASE WHEN ${changed} THEN ${input.version} ELSE _ferry_old_version END AS ${q(VERSION_COLUMN)}`,
    `coalesce(_ferry_old_created, ${now}) AS ${q(CREATED_COLUMN)}`,
    `CASE WHEN ${changed} THEN ${now} ELSE _ferry_old_updated END AS ${q(UPDATED_COLUMN)}`,
    K,
    q(input.rowColumn),
    `${kind} AS _ferry_kind`,
    `${applied} AS _ferry_applied`,
  ];
  const bookkeeping = [VERSION_COLUMN, CREATED_COLUMN, UPDATED_COLUMN];
  // Current rows have the current columns only; UNION ALL BY NAME gives them NULL in the new ones.
  const currentRow = [...(input.currentFile ? curCols : inCols), ...bookkeeping].map(q).join(', ');
  const untouched = `SELECT ${currentRow} FROM dataset_current c WHERE NOT EXISTS (SELECT 1 FROM dataset_incoming i WHERE i.${K} = c.${K})`;
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
      next = `SELECT ${currentRow} FROM dataset_current UNION ALL BY NAME ${appliedRows}`;
      break;
  }
  const reason =
    mode === 'update'
      ? `'key not in dataset (mode: update)'`
      : mode === 'insert'
        ? `'key already in dataset (mode: insert)'`
        : 'NULL';
  return {
    createIncoming:
      `CREATE TABLE dataset_incoming AS SELECT ${inCols.map(q).join(', ')}, ${keyJsonExpr(key)} AS ${K}, ${q(input.rowColumn)} ` +
      `FROM ${q(input.incomingTable)} QUALIFY row_number() OVER (PARTITION BY ${keyJsonExpr(key)} ORDER BY ${q(input.rowColumn)} DESC) = 1`,
    countSuperseded: `SELECT (SELECT count(*) FROM ${q(input.incomingTable)}) - (SELECT count(*) FROM dataset_incoming) AS n`,
    createCurrent: `CREATE TABLE dataset_current AS SELECT *, ${keyJsonExpr(key)} AS ${K} FROM (${
      input.currentFile ? `SELECT * FROM read_parquet(${quoteLiteral(input.currentFile)})` : emptyCurrent
    })`,
    createJoined:
      `CREATE TABLE joined AS SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} ` +
      `FROM dataset_incoming i LEFT JOIN dataset_current c ON c.${K} = i.${K})`,
    countKinds: `SELECT _ferry_kind AS kind, count(*) AS n FROM joined GROUP BY 1`,
    countDeleted:
      mode === 'mirror' && !input.holdDeletes
        ? `SELECT count(*) AS n FROM dataset_current c WHERE NOT EXISTS (SELECT 1 FROM dataset_incoming i WHERE i.${K} = c.${K})`
        : 'SELECT 0 AS n',
    createNext:
      `CREATE TABLE next_version AS SELECT ${[...allCols, ...bookkeeping].map(q).join(', ')}, ` +
      `${rowHash(allCols, q)} AS ${q(ROW_HASH_COLUMN)} FROM (${next})`,
    createNotApplied:
      `CREATE TABLE not_applied AS SELECT ${inCols.map((c) => `i.${q(c)}`).join(', ')}, i.${q(input.rowColumn)}, ${reason} AS _ferry_reason ` +
      `FROM dataset_incoming i WHERE NOT EXISTS (SELECT 1 FROM joined j WHERE j.${K} = i.${K} AND j._ferry_applied)`,
    writeNext: (path) =>
      `COPY (SELECT * FROM next_version ORDER BY ${keyJsonExpr(key)}) TO ${quoteLiteral(path)} (FORMAT parquet)`,
  };
}
