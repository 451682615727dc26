/**
 * The functions a SELECT calls whose results can differ from one statement to the next: DuckDB's
 * VOLATILE ones (random(), uuid(), nextval()) and its CONSISTENT_WITHIN_QUERY ones (now(),
 * current_date). Each statement that reads a view over such a SELECT evaluates them again, so two
 * statements would see different values for the same row (a multi-CSV join key built from uuid()
 * would join nothing). The answer comes from DuckDB's own parser and function catalog, not a list
 * kept here.
 */
import type { DuckDbSession } from './create-duckdb-session.js';
import { quoteLiteral, quoteStringList } from './sql.js';

/**
 * SQL's time keywords, which DuckDB binds to get_current_time/get_current_timestamp but which
 * duckdb_functions() does not list under these names (current_date is listed).
 */
const TIME_KEYWORDS = ['current_time', 'current_timestamp', 'localtime', 'localtimestamp'];

/** Names of the unstable functions `select` calls, sorted; empty when it calls none or does not parse. */
export async function findUnstableCalls(session: DuckDbSession, select: string): Promise<string[]> {
  // Calls are FUNCTION nodes; current_date, current_timestamp and the like, written without
  // parentheses, parse as a column reference that binds to the function when no column has the name
  // (a column that does only makes the answer cautious). A SELECT that does not parse serializes as
  // {"error":true,...} with neither: the statement then fails where it runs, with DuckDB's message.
  const rows = await session.all(
    `WITH tree AS (SELECT lower(json_serialize_sql(${quoteLiteral(select)})) AS json), ` +
      `names AS (SELECT list_concat(regexp_extract_all(json, '"function_name":"([^"]*)"', 1), ` +
      `regexp_extract_all(json, '"column_names":\\["([^"]*)"\\]', 1)) AS names FROM tree) ` +
      `SELECT DISTINCT function_name AS name FROM duckdb_functions(), names ` +
      `WHERE stability <> 'CONSISTENT' AND list_contains(names, lower(function_name)) ` +
      `UNION SELECT unnest(list_intersect(names, ${quoteStringList(TIME_KEYWORDS)})) FROM names ORDER BY 1`,
  );
  return rows.map((row) => row['name'] as string);
}
