/**
 * Whether a type name from the configuration (mapping.cast, a dataset's columns) is a DuckDB type and
 * nothing else. ferry splices these names into SQL (`TRY_CAST(x AS <type>)`), so a "type" such as
 * `INTEGER) IS NULL OR (1` would be an expression. DuckDB itself decides, not a regex: its parser
 * (json_serialize_sql) must see exactly `SELECT CAST(NULL AS <type>)` — one statement, one cast of
 * NULL, no FROM, no other clause — and only then is the type bound (`typeof`), which finds names
 * that parse but do not exist (`INTEGR`). Only SQL ferry builds is run, never the name on its own.
 */
import { quoteLiteral } from './sql.js';
import type { SyncDuckDb } from './run-duckdb-sync.js';

export type TypeCheck = { ok: true; canonical: string } | { ok: false; reason: string; unknownName?: string };

function castOf(type: string): string {
  return `SELECT CAST(NULL AS ${type})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any expression inside a type (a modifier such as DECIMAL(18,2) must be a constant). */
function holdsExpression(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsExpression);
  if (!isRecord(value)) return false;
  if (typeof value['class'] === 'string' && value['class'] !== 'CONSTANT') return true;
  return Object.values(value).some(holdsExpression);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value) && Array.isArray(value['map'])) return value['map'].length === 0;
  return false;
}

/** Why DuckDB's parse of `SELECT CAST(NULL AS <type>)` is not just that; undefined when it is. */
export function castShapeProblem(serialized: string): string | undefined {
  const parsed = JSON.parse(serialized) as Record<string, unknown>;
  if (parsed['error'] === true) {
    const message = parsed['error_message'];
    return typeof message === 'string' ? message : 'it does not parse';
  }
  const statements = parsed['statements'];
  const node =
    Array.isArray(statements) && statements.length === 1 && isRecord(statements[0])
      ? statements[0]['node']
      : undefined;
  if (!isRecord(node) || node['type'] !== 'SELECT_NODE') return 'it is SQL, not a type';
  const list = node['select_list'];
  const cast: unknown = Array.isArray(list) && list.length === 1 ? list[0] : undefined;
  const from = node['from_table'];
  const plain =
    isRecord(cast) &&
    cast['class'] === 'CAST' &&
    cast['try_cast'] === false &&
    cast['alias'] === '' &&
    isRecord(cast['child']) &&
    cast['child']['class'] === 'CONSTANT' &&
    isRecord(from) &&
    from['type'] === 'EMPTY' &&
    [
      'where_clause',
      'having',
      'sample',
      'qualify',
      'modifiers',
      'group_expressions',
      'group_sets',
      'cte_map',
    ].every((clause) => isEmpty(node[clause]));
  if (!plain || holdsExpression(cast['cast_type'])) return 'it is SQL, not a type';
  return undefined;
}

/** Checks each distinct type name with DuckDB (two queries per name, in two round trips). */
export function checkDuckDbTypes(db: SyncDuckDb, types: readonly string[]): Map<string, TypeCheck> {
  const names = [...new Set(types)];
  const checks = new Map<string, TypeCheck>();
  const parsed = db.query(
    names.map((type) => `SELECT json_serialize_sql(${quoteLiteral(castOf(type))}) AS j`),
  );
  const toBind: string[] = [];
  names.forEach((type, i) => {
    const result = parsed[i];
    const serialized = result && 'rows' in result ? result.rows[0]?.['j'] : undefined;
    const problem =
      typeof serialized === 'string'
        ? castShapeProblem(serialized)
        : result && 'error' in result
          ? result.error
          : 'it does not parse';
    if (problem === undefined) toBind.push(type);
    else checks.set(type, { ok: false, reason: problem });
  });
  const bound = db.query(toBind.map((type) => `SELECT typeof(CAST(NULL AS ${type})) AS t`));
  toBind.forEach((type, i) => {
    const result = bound[i];
    const canonical = result && 'rows' in result ? result.rows[0]?.['t'] : undefined;
    if (typeof canonical === 'string') {
      checks.set(type, { ok: true, canonical });
      return;
    }
    const error = result && 'error' in result ? result.error : 'it does not bind';
    const unknownName = /Type with name (\S+) does not exist/.exec(error)?.[1];
    checks.set(type, { ok: false, reason: firstLine(error), ...(unknownName ? { unknownName } : {}) });
  });
  return checks;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}

/** The names DuckDB knows as types (for a "did you mean"). */
export function listDuckDbTypeNames(db: SyncDuckDb): string[] {
  const [result] = db.query(['SELECT DISTINCT upper(type_name) AS name FROM duckdb_types() ORDER BY 1']);
  return result && 'rows' in result
    ? result.rows.map((r) => r['name']).filter((n) => typeof n === 'string')
    : [];
}
