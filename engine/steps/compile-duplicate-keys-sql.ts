/**
 * Counting the rows that share a key with another row (the diff's and the merge's "superseded"), at
 * any size and within memory_limit. Two statements, the second rarely run:
 * - countHashTwins sorts the keys' 64-bit hashes and counts each one equal to the one before it. Equal
 *   keys hash alike, so 0 proves every key is unique: the common case costs one sort of 8-byte values,
 *   which DuckDB spills to the temp dir past memory_limit.
 * - countSuperseded, only when that count is not 0, counts exactly over the rows whose hash is shared:
 *   rows sorted by key within each hash, each one equal to the one before it (a key seen n times counts
 *   n − 1). Two different keys with one hash are told apart here.
 * Measured at 100M keys and 640MiB (2 threads), alone: the hash sort took 12 s, the same sort over
 * the keys themselves 44 s. (In the 100M-row day-1 run every form of this count ran out of memory
 * after `CREATE TABLE current`; that was the in-memory database, see choose-duckdb-storage.ts.)
 */
import { quoteIdent as q } from '../duckdb/sql.js';

export interface DuplicateKeysSql {
  /** `n`: rows whose key hash equals the one before it in hash order (0: all keys unique). */
  countHashTwins: string;
  /** `n`: rows with the same key as another row, less one per key (run when countHashTwins > 0). */
  countSuperseded: string;
}

export function compileDuplicateKeysSql(table: string, keyColumn: string): DuplicateKeysSql {
  const T = q(table);
  const K = q(keyColumn);
  const hashes = `SELECT hash(${K}) AS _ferry_h FROM ${T}`;
  return {
    countHashTwins: `SELECT count(*) AS n FROM (SELECT _ferry_h, lag(_ferry_h) OVER (ORDER BY _ferry_h) AS _ferry_prev FROM (${hashes})) WHERE _ferry_h = _ferry_prev`,
    countSuperseded:
      `SELECT count(*) AS n FROM (SELECT ${K}, lag(${K}) OVER (PARTITION BY hash(${K}) ORDER BY ${K}) AS _ferry_prev FROM ${T} ` +
      `WHERE hash(${K}) IN (SELECT _ferry_h FROM (${hashes}) GROUP BY _ferry_h HAVING count(*) > 1)) WHERE ${K} = _ferry_prev`,
  };
}

/** Runs the two statements of compileDuplicateKeysSql the way they are meant: the exact one only when needed. */
export async function countSupersededRows(
  sql: DuplicateKeysSql,
  count: (statement: string) => Promise<number>,
): Promise<number> {
  return (await count(sql.countHashTwins)) === 0 ? 0 : await count(sql.countSuperseded);
}
