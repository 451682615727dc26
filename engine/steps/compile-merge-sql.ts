/**
 * Writing into a dataset as SQL: one merge of this run's rows into the current version, by mode.
 * Pure: names, columns and the mode in; statements out. Rows in a dataset carry four internal
 * columns: `_ferry_version` (the dataset version that last changed the row — drives since_last_run),
 * `_ferry_created_at`, `_ferry_updated_at` (the run time; for events, the ingestion time) and
 * `_ferry_hash` (MD5 of the row's data, to tell changed from unchanged).
 *
 *   upsert  create new keys, update existing ones (only the columns this run provides)
 *   update  update existing keys only; unmatched keys are counted (and optionally written aside)
 *   insert  create new keys only; existing keys are skipped
 *   append  events: add rows, skipping keys already present (re-sent events are not duplicated)
 *   mirror  upsert, and delete keys absent from this run
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

export interface MergeSql {
  createIncoming: string;
  createCurrent: string;
  createJoined: string;
  /** Rows: kind ∈ created | updated | unchanged | unmatched | skipped, n. */
  countKinds: string;
  countDeleted: string;
  createNext: string;
  /** Incoming rows whose key is not in the dataset (update mode: written aside when configured). */
  createUnmatched: string;
  writeNext: (path: string) => string;
}

const K = '_ferry_k';

function keyJson(key: readonly string[], alias?: string): string {
  const ref = (c: string) => (alias ? `${alias}.${q(c)}` : q(c));
  return `CAST(to_json({${key.map((c) => `${quoteLiteral(c)}: CAST(${ref(c)} AS VARCHAR)`).join(', ')}}) AS VARCHAR)`;
}

export function compileMergeSql(input: {
  /** Valid mapped rows (no reject column), with `_ferry_row` for "last row per key wins". */
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
}): MergeSql {
  const { key, mode } = input;
  const inCols = [...input.incomingColumns];
  const curOnly = input.currentColumns.filter((c) => !inCols.includes(c));
  const now = `CAST(${quoteLiteral(input.runTime.toISOString())} AS TIMESTAMPTZ)`;
  const hash = `md5(CAST(to_json({${inCols.map((c) => `${quoteLiteral(c)}: ${q(c)}`).join(', ')}}) AS VARCHAR))`;
  const emptyCurrent =
    `SELECT ${inCols.map((c) => `${q(c)}`).join(', ')}, CAST(NULL AS BIGINT) AS ${q(VERSION_COLUMN)}, CAST(NULL AS TIMESTAMPTZ) AS ${q(CREATED_COLUMN)}, ` +
    `CAST(NULL AS TIMESTAMPTZ) AS ${q(UPDATED_COLUMN)}, CAST(NULL AS VARCHAR) AS ${q(ROW_HASH_COLUMN)} FROM ${q(input.incomingTable)} WHERE false`;
  const changed = `(NOT j._exists OR j._old_hash IS DISTINCT FROM j.${q(ROW_HASH_COLUMN)})`;
  // The merged row: this run's columns from the incoming row, other columns kept from the current row.
  const mergedRow = [
    ...inCols.map((c) => `j.${q(c)}`),
    ...curOnly.map((c) => `c.${q(c)}`),
    `CASE WHEN ${changed} THEN ${input.version} ELSE j._old_version END AS ${q(VERSION_COLUMN)}`,
    `coalesce(j._old_created, ${now}) AS ${q(CREATED_COLUMN)}`,
    `CASE WHEN ${changed} THEN ${now} ELSE j._old_updated END AS ${q(UPDATED_COLUMN)}`,
    `j.${q(ROW_HASH_COLUMN)}`,
  ].join(', ');
  const fromJoined = `joined j LEFT JOIN current c ON c.${K} = j.${K}`;
  const untouched = `SELECT * EXCLUDE (${K}) FROM current c WHERE NOT EXISTS (SELECT 1 FROM incoming i WHERE i.${K} = c.${K})`;
  let next: string;
  switch (mode) {
    case 'upsert':
      next = `${untouched} UNION ALL BY NAME SELECT ${mergedRow} FROM ${fromJoined}`;
      break;
    case 'mirror':
      next = `SELECT ${mergedRow} FROM ${fromJoined}`;
      break;
    case 'update':
      next = `${untouched} UNION ALL BY NAME SELECT ${mergedRow} FROM ${fromJoined} WHERE j._exists`;
      break;
    case 'insert':
    case 'append':
      next = `SELECT * EXCLUDE (${K}) FROM current UNION ALL BY NAME SELECT ${mergedRow} FROM ${fromJoined} WHERE NOT j._exists`;
      break;
  }
  const kinds =
    mode === 'update'
      ? `CASE WHEN NOT _exists THEN 'unmatched' WHEN _old_hash IS DISTINCT FROM ${q(ROW_HASH_COLUMN)} THEN 'updated' ELSE 'unchanged' END`
      : mode === 'insert' || mode === 'append'
        ? `CASE WHEN _exists THEN 'skipped' ELSE 'created' END`
        : `CASE WHEN NOT _exists THEN 'created' WHEN _old_hash IS DISTINCT FROM ${q(ROW_HASH_COLUMN)} THEN 'updated' ELSE 'unchanged' END`;
  return {
    createIncoming:
      `CREATE TABLE incoming AS SELECT ${inCols.map(q).join(', ')}, ${hash} AS ${q(ROW_HASH_COLUMN)}, ${keyJson(key)} AS ${K}, ${q(input.rowColumn)} ` +
      `FROM ${q(input.incomingTable)} QUALIFY row_number() OVER (PARTITION BY ${keyJson(key)} ORDER BY ${q(input.rowColumn)} DESC) = 1`,
    createCurrent: `CREATE TABLE current AS SELECT *, ${keyJson(key)} AS ${K} FROM (${
      input.currentFile ? `SELECT * FROM read_parquet(${quoteLiteral(input.currentFile)})` : emptyCurrent
    })`,
    createJoined:
      `CREATE TABLE joined AS SELECT i.*, c.${K} IS NOT NULL AS _exists, c.${q(ROW_HASH_COLUMN)} AS _old_hash, c.${q(VERSION_COLUMN)} AS _old_version, ` +
      `c.${q(CREATED_COLUMN)} AS _old_created, c.${q(UPDATED_COLUMN)} AS _old_updated FROM incoming i LEFT JOIN current c ON c.${K} = i.${K}`,
    countKinds: `SELECT ${kinds} AS kind, count(*) AS n FROM joined GROUP BY 1`,
    countDeleted:
      mode === 'mirror'
        ? `SELECT count(*) AS n FROM current c WHERE NOT EXISTS (SELECT 1 FROM incoming i WHERE i.${K} = c.${K})`
        : 'SELECT 0 AS n',
    createNext: `CREATE TABLE next_version AS ${next}`,
    createUnmatched: `CREATE TABLE unmatched AS SELECT ${inCols.map(q).join(', ')}, ${q(input.rowColumn)} FROM joined WHERE NOT _exists ORDER BY ${q(input.rowColumn)}`,
    writeNext: (path) =>
      `COPY (SELECT * FROM next_version ORDER BY ${keyJson(key)}, ${q(UPDATED_COLUMN)}) TO ${quoteLiteral(path)} (FORMAT parquet)`,
  };
}
