/**
 * Several JSON files in one run are typed one by one (json-type.ts); a field typed differently in
 * two files (BIGINT here, DOUBLE there; a STRUCT here, a string there) gets one type for the run by
 * the same rule, applied to the values of every file: each file's values go back to JSON (exact:
 * to_json of a typed value loses nothing) and are typed again together. Datasets use the same to
 * align a run's columns with the current version's.
 */
import type { DuckDbSession } from './create-duckdb-session.js';
import { inferJsonTypes } from './infer-json-types.js';
import { renderJsonTypeStructure } from './json-type.js';
import { quoteIdent as q, quoteLiteral } from './sql.js';

export interface TypedPart {
  /** The rows: a table name (quoted as an identifier) or `{ sql }`, a relation such as read_parquet(…). */
  table: string | { sql: string };
  /** Column → DuckDB type, as loadJson reported it. */
  columnTypes: Readonly<Record<string, string>>;
}

/**
 * For each part, the columns to convert (column → SQL expression giving the run's type), so that
 * `SELECT * REPLACE (…)` of every part has the same types. Empty when the files agree.
 */
export async function unifyJsonTypes(
  session: DuckDbSession,
  parts: readonly TypedPart[],
  /** Columns that become their text (VARCHAR) where no type but JSON fits every part: a dataset's key. */
  textColumns: readonly string[] = [],
): Promise<Array<Record<string, string>>> {
  const seen = new Map<string, Set<string>>();
  for (const part of parts) {
    for (const [column, type] of Object.entries(part.columnTypes)) {
      (seen.get(column) ?? seen.set(column, new Set()).get(column))?.add(type);
    }
  }
  const drifting = [...seen].filter(([, types]) => types.size > 1).map(([column]) => column);
  if (drifting.length === 0) return parts.map(() => ({}));

  const selects = parts.flatMap((part) => {
    const own = drifting.filter((c) => c in part.columnTypes);
    return own.length
      ? [
          `SELECT ${own.map((c) => `CAST(to_json(${q(c)}) AS JSON) AS ${q(c)}`).join(', ')} FROM ${typeof part.table === 'string' ? q(part.table) : part.table.sql}`,
        ]
      : [];
  });
  const types = await inferJsonTypes(session, {
    from: `(${selects.join(' UNION ALL BY NAME ')})`,
    columns: drifting,
  });
  return parts.map((part) =>
    Object.fromEntries(
      drifting
        .filter((c) => c in part.columnTypes)
        .map((c) => {
          const type = types.get(c);
          const structure = type === undefined ? '"JSON"' : renderJsonTypeStructure(type);
          if (structure === '"JSON"' && textColumns.includes(c)) return [c, `CAST(${q(c)} AS VARCHAR)`];
          return [c, `json_transform_strict(to_json(${q(c)}), ${quoteLiteral(structure)})`];
        }),
    ),
  );
}
