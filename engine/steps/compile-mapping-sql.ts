/**
 * The mapping step as SQL. Pure: the mapping, the loaded columns (with their types) and their
 * order in, one statement out.
 *
 *   inner SELECT (m): selected columns after rename, TRY_CAST casts, the timestamp (empty or absent
 *                     ones filled with the import time when asked), the rest packed into one MAP
 *                     column, and `_ferry_reject` naming the first problem of the row. Columns packed
 *                     into `rest` stay visible here too, so computed columns can use them.
 *   outer SELECT:     the kept columns, computed columns (one SQL expression each over m), the map.
 *   Rows whose cast/timestamp failed or whose required column is empty are kept aside by the map
 *   step, so rows in = rows mapped + rows rejected.
 */
import type { Mapping } from '../config/model.js';
import { castInputSql, textValueSql } from '../duckdb/duckdb-type-kind.js';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { compileTimestampSql } from './compile-timestamp-sql.js';
import { importTimeLiteral } from './import-time.js';
import { resolveMappingColumns, type MappingColumns } from './resolve-mapping-columns.js';

/** Columns ferry adds to every loaded row: which file, which data record (1-based). */
export const FILE_COLUMN = '_ferry_file';
export const ROW_COLUMN = '_ferry_row';
export const REJECT_COLUMN = '_ferry_reject';
export const INTERNAL_COLUMNS = [FILE_COLUMN, ROW_COLUMN] as const;

export interface CompiledMapping {
  /**
   * CREATE TABLE (or VIEW, see `relation`) <output> AS … with every mapped column, the internal
   * columns and REJECT_COLUMN.
   */
  createStage: string;
  /** Output columns in order (internal columns excluded). */
  columns: string[];
  /**
   * The inner SELECT (every column the computed expressions can use) as a relation, to bind one
   * computed expression at a time when the statement fails (to say which one is wrong).
   */
  computeScope: string;
  /** The SELECT of createStage alone, to ask DuckDB what it calls (find-unstable-calls.ts). */
  select: string;
}

export interface CompileMappingInput {
  mapping: Mapping | undefined;
  inputTable: string;
  outputTable: string;
  /** Source columns in file order (internal columns excluded). */
  columns: readonly string[];
  /** DuckDB types of the source columns; a column not listed is VARCHAR. */
  columnTypes?: Readonly<Record<string, string>>;
  pipeline: string;
  timezone: string;
  /** The run's start time: the value of mapping.timestamp.default: import-time. */
  importTime: Date;
  /**
   * `view` when the mapped rows are read once by a later statement (the diff's hash pass, a merge):
   * the mapping then runs inside that statement instead of being copied into a table first.
   * Default `table`.
   */
  relation?: 'table' | 'view';
  /**
   * The diff key (output names): a row with an empty key column is rejected, as a dataset rejects
   * one, since an empty key is no identity (two such rows are not one record, and no tombstone can
   * name it).
   */
  keyColumns?: readonly string[];
}

/** The reject reason of a row whose diff key column is empty (the diff tells these from unreadable keys). */
export function emptyKeyReason(column: string): string {
  return `key column "${column}" is empty (diff key)`;
}

/** The reject column: an earlier reason first, then an empty key column (`value(c)` reads it). */
function withKeyRejects(
  earlier: string,
  keyColumns: readonly string[] | undefined,
  value: (column: string) => string,
): string {
  if (!keyColumns?.length) return earlier;
  const empty = keyColumns.map((c) => `WHEN ${value(c)} IS NULL THEN ${quoteLiteral(emptyKeyReason(c))}`);
  return `CASE WHEN ${earlier} IS NOT NULL THEN ${earlier} ${empty.join(' ')} END`;
}

interface Projection {
  /** Inner select items. */
  items: string[];
  /** `WHEN … THEN 'reason'` branches, first match wins. */
  rejects: string[];
}

/** NULL, or text that is empty (a JSON "" too). */
function emptySql(ref: string, type: string): string {
  return `(${ref} IS NULL OR ${textValueSql(ref, type)} = '')`;
}

/** One kept column: cast, parsed as the timestamp, or as it is. */
function projectColumn(
  input: CompileMappingInput,
  mapping: Mapping,
  output: string,
  source: string,
): Projection {
  const raw = q(source);
  const sourceType = input.columnTypes?.[source] ?? 'VARCHAR';
  const timestamp = mapping.timestamp;
  if (timestamp?.column === output) {
    const parsed = compileTimestampSql({
      raw: textValueSql(raw, sourceType),
      format: timestamp.format,
      timezone: timestamp.timezone ?? input.timezone,
      pipeline: input.pipeline,
      column: output,
    });
    const fill = timestamp.default === 'import-time';
    const empty = emptySql(raw, sourceType);
    const reason = quoteLiteral(
      `timestamp column "${output}" does not read as ${timestamp.format ?? 'an ISO timestamp'}`,
    );
    return {
      items: [
        fill
          ? `CASE WHEN ${empty} THEN ${importTimeLiteral(input.importTime)} ELSE ${parsed} END AS ${q(output)}`
          : `${parsed} AS ${q(output)}`,
      ],
      rejects: [`WHEN ${fill ? `NOT ${empty}` : `${raw} IS NOT NULL`} AND ${parsed} IS NULL THEN ${reason}`],
    };
  }
  const type = mapping.cast[output];
  if (type !== undefined) {
    const value = castInputSql(raw, sourceType, type);
    return {
      items: [`TRY_CAST(${value} AS ${type}) AS ${q(output)}`],
      rejects: [
        `WHEN ${value} IS NOT NULL AND TRY_CAST(${value} AS ${type}) IS NULL THEN ${quoteLiteral(`column "${output}" does not cast to ${type}`)}`,
      ],
    };
  }
  return { items: [`${raw} AS ${q(output)}`], rejects: [] };
}

/** Unmapped columns as one MAP(VARCHAR, VARCHAR): values as text (nested ones as JSON), empty ones left out. */
function restMapSql(packed: readonly string[], types: Readonly<Record<string, string>>): string {
  if (packed.length === 0) return `CAST(MAP() AS MAP(VARCHAR, VARCHAR))`;
  const entries = packed.map(
    (source) => `{'k': ${quoteLiteral(source)}, 'v': ${textValueSql(q(source), types[source] ?? 'VARCHAR')}}`,
  );
  return `map_from_entries(list_filter([${entries.join(', ')}], _ferry_e -> _ferry_e.v IS NOT NULL AND _ferry_e.v <> ''))`;
}

/** The inner select: kept columns, packed columns (for compute), the created timestamp, the rest map. */
function innerProjection(input: CompileMappingInput, mapping: Mapping, resolved: MappingColumns): Projection {
  const items: string[] = [];
  const rejects: string[] = [];
  for (const output of resolved.kept) {
    const projected = projectColumn(input, mapping, output, resolved.renamed.get(output) ?? output);
    items.push(...projected.items);
    rejects.push(...projected.rejects);
  }
  items.push(...resolved.packed.filter((c) => c !== mapping.rest?.into).map((c) => q(c)));
  if (resolved.createdTimestamp !== undefined) {
    items.push(`${importTimeLiteral(input.importTime)} AS ${q(resolved.createdTimestamp)}`);
  }
  for (const column of mapping.required) {
    const source = resolved.renamed.get(column);
    if (source === undefined) continue;
    const empty = emptySql(q(source), input.columnTypes?.[source] ?? 'VARCHAR');
    rejects.push(`WHEN ${empty} THEN ${quoteLiteral(`required column "${column}" is empty`)}`);
  }
  if (mapping.rest) {
    items.push(`${restMapSql(resolved.packed, input.columnTypes ?? {})} AS ${q(mapping.rest.into)}`);
  }
  return { items, rejects };
}

export function compileMappingSql(input: CompileMappingInput): CompiledMapping {
  const { mapping } = input;
  const from = q(input.inputTable);
  const create = `CREATE ${input.relation === 'view' ? 'VIEW' : 'TABLE'} ${q(input.outputTable)} AS`;
  if (!mapping) {
    const select = [...input.columns, ...INTERNAL_COLUMNS].map(q).join(', ');
    const reject = withKeyRejects('CAST(NULL AS VARCHAR)', input.keyColumns, q);
    const bare = `SELECT ${select}, ${reject} AS ${q(REJECT_COLUMN)} FROM ${from}`;
    return {
      createStage: `${create} ${bare}`,
      columns: [...input.columns],
      computeScope: from,
      select: bare,
    };
  }
  const resolved = resolveMappingColumns(mapping, input.columns, input.pipeline);
  const inner = innerProjection(input, mapping, resolved);
  const reject = inner.rejects.length
    ? `CASE ${inner.rejects.join(' ')} ELSE NULL END`
    : 'CAST(NULL AS VARCHAR)';
  const innerSql = `SELECT ${[...inner.items, ...INTERNAL_COLUMNS.map(q), `${reject} AS ${q(REJECT_COLUMN)}`].join(', ')} FROM ${from}`;

  const computed = Object.entries(mapping.compute);
  const kept = [
    ...resolved.kept,
    ...(resolved.createdTimestamp === undefined ? [] : [resolved.createdTimestamp]),
  ].filter((c) => !(c in mapping.compute));
  const columns = [...kept, ...computed.map(([name]) => name), ...(mapping.rest ? [mapping.rest.into] : [])];
  const outer = [
    ...kept.map(q),
    ...computed.map(([name, sql]) => `(${sql}) AS ${q(name)}`),
    ...(mapping.rest ? [q(mapping.rest.into)] : []),
    ...INTERNAL_COLUMNS.map(q),
    // A computed key column is read by its expression: the name would be the inner column of that name.
    `${withKeyRejects(`m.${q(REJECT_COLUMN)}`, input.keyColumns, (c) => (c in mapping.compute ? `(${mapping.compute[c]})` : `m.${q(c)}`))} AS ${q(REJECT_COLUMN)}`,
  ];
  const select = `SELECT ${outer.join(', ')} FROM (${innerSql}) AS m`;
  return { createStage: `${create} ${select}`, columns, computeScope: `(${innerSql}) AS m`, select };
}
