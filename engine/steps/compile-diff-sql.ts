/**
 * The diff step as SQL: a hash join of this run's rows against the previous run's snapshot
 * (key + row hash, Parquet). Keys are compared as JSON of their VARCHAR values, so a type change in
 * a mapping does not make every row look new; the row hash covers every output column.
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { REJECT_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';

export const KEY_COLUMN = '_ferry_key';
export const HASH_COLUMN = '_ferry_hash';
export const DIFF_COLUMN = '_ferry_diff';

export interface DiffSql {
  /** current: valid rows with key + hash, last row per key wins. */
  createCurrent: string;
  /** Rows that lost to a later row with the same key. */
  countSuperseded: string;
  createPrevious: string;
  /** Classifies current rows as added / changed / unchanged. */
  createClassified: string;
  countRemoved: string;
  /** Removed keys (for tombstones), key columns as VARCHAR. */
  createRemoved: string;
  writeSnapshot: (path: string) => string;
}

function keyExpr(key: readonly string[] | null, columns: readonly string[]): string {
  const parts = (key ?? columns).map((c) => `${quoteLiteral(c)}: CAST(${q(c)} AS VARCHAR)`);
  return `CAST(to_json({${parts.join(', ')}}) AS VARCHAR)`;
}

function hashExpr(columns: readonly string[]): string {
  const parts = columns.map((c) => `${quoteLiteral(c)}: ${q(c)}`);
  return `md5(CAST(to_json({${parts.join(', ')}}) AS VARCHAR))`;
}

export function compileDiffSql(input: {
  mappedTable: string;
  columns: readonly string[];
  key: readonly string[] | null;
  /** Local path of the previous snapshot, or undefined on a first run. */
  previousSnapshot: string | undefined;
}): DiffSql {
  const { columns, key } = input;
  const keyColumns = key ?? [];
  const valid = `${q(input.mappedTable)} WHERE ${q(REJECT_COLUMN)} IS NULL`;
  const withKey = `SELECT *, ${keyExpr(key, columns)} AS ${q(KEY_COLUMN)}, ${hashExpr(columns)} AS ${q(HASH_COLUMN)} FROM ${valid}`;
  const keyVarchar = keyColumns.map((c) => `CAST(${q(c)} AS VARCHAR) AS ${q(c)}`);
  return {
    createCurrent: `CREATE TABLE current AS SELECT * FROM (${withKey}) QUALIFY row_number() OVER (PARTITION BY ${q(KEY_COLUMN)} ORDER BY ${q(ROW_COLUMN)} DESC) = 1`,
    countSuperseded: `SELECT (SELECT count(*) FROM ${valid}) - (SELECT count(*) FROM current) AS n`,
    createPrevious: input.previousSnapshot
      ? `CREATE TABLE previous AS SELECT * FROM read_parquet(${quoteLiteral(input.previousSnapshot)})`
      : `CREATE TABLE previous AS SELECT CAST(NULL AS VARCHAR) AS ${q(KEY_COLUMN)}, CAST(NULL AS VARCHAR) AS ${q(HASH_COLUMN)}${keyColumns.map((c) => `, CAST(NULL AS VARCHAR) AS ${q(c)}`).join('')} WHERE false`,
    createClassified:
      `CREATE TABLE classified AS SELECT c.*, CASE WHEN p.${q(KEY_COLUMN)} IS NULL THEN 'added' ` +
      `WHEN p.${q(HASH_COLUMN)} <> c.${q(HASH_COLUMN)} THEN 'changed' ELSE 'unchanged' END AS ${q(DIFF_COLUMN)} ` +
      `FROM current c LEFT JOIN previous p ON p.${q(KEY_COLUMN)} = c.${q(KEY_COLUMN)}`,
    countRemoved: `SELECT count(*) AS n FROM previous p WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.${q(KEY_COLUMN)} = p.${q(KEY_COLUMN)})`,
    createRemoved: `CREATE TABLE removed AS SELECT p.* FROM previous p WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.${q(KEY_COLUMN)} = p.${q(KEY_COLUMN)}) ORDER BY p.${q(KEY_COLUMN)}`,
    writeSnapshot: (path) =>
      `COPY (SELECT ${q(KEY_COLUMN)}, ${q(HASH_COLUMN)}${keyVarchar.length ? ', ' + keyVarchar.join(', ') : ''} FROM current ORDER BY ${q(KEY_COLUMN)}) TO ${quoteLiteral(path)} (FORMAT parquet)`,
  };
}
