/**
 * The mapping step as SQL. Pure: the mapping, the loaded columns and their order in, statements out.
 *
 *   mapped_stage: selection (fields/exclude) → rename → TRY_CAST casts → computed columns → timestamp
 *                 (empty or absent ones filled with the import time when asked)
 *                 → rest packed into one MAP column, plus `_ferry_reject` naming the first problem
 *   rejects: rows whose cast/timestamp failed or whose required column is empty are kept aside,
 *   so rows in = rows mapped + rows rejected.
 */
import { FerryError } from '../errors/ferry-error.js';
import type { Mapping } from '../config/model.js';
import { joinPointer } from '../config/locate-pointer.js';
import { suggest } from '../config/suggest.js';
import { quoteIdent, quoteLiteral } from '../duckdb/sql.js';
import { compileTimestampSql } from './compile-timestamp-sql.js';
import { importTimeLiteral } from './import-time.js';

/** Columns ferry adds to every loaded row: which file, which data record (1-based). */
export const FILE_COLUMN = '_ferry_file';
export const ROW_COLUMN = '_ferry_row';
export const REJECT_COLUMN = '_ferry_reject';
export const INTERNAL_COLUMNS = [FILE_COLUMN, ROW_COLUMN] as const;

export interface CompiledMapping {
  /** CREATE TABLE <output> AS … with every mapped column, the internal columns and REJECT_COLUMN. */
  createStage: string;
  /** Output columns in order (internal columns excluded). */
  columns: string[];
}

function unknownColumn(
  column: string,
  where: string,
  available: readonly string[],
  pipeline: string,
  /** Where in the pipeline: path segments under `mapping`, and whether the last one is a key. */
  at: { path: ReadonlyArray<string | number>; key?: boolean },
): FerryError {
  const guess = suggest(column, available);
  return new FerryError(
    'MAPPING_UNKNOWN_COLUMN',
    `mapping.${where} names column "${column}", which the source does not have.`,
    {
      context: {
        pipeline,
        step: 'map',
        config: joinPointer(['mapping', ...at.path]),
        ...(at.key ? { configKey: true } : {}),
      },
      hint: `${guess ? `Did you mean "${guess}"? ` : ''}Columns in the source: ${available.slice(0, 30).join(', ')}${available.length > 30 ? ', …' : ''}.`,
    },
  );
}

export function compileMappingSql(input: {
  mapping: Mapping | undefined;
  inputTable: string;
  outputTable: string;
  /** Source columns in file order (internal columns excluded). */
  columns: readonly string[];
  pipeline: string;
  timezone: string;
  /** The run's start time: the value of mapping.timestamp.default: import-time. */
  importTime: Date;
}): CompiledMapping {
  const { mapping, columns, pipeline } = input;
  const q = quoteIdent;
  const available = [...columns];
  if (!mapping) {
    const select = [...available, ...INTERNAL_COLUMNS].map(q).join(', ');
    return {
      createStage: `CREATE TABLE ${q(input.outputTable)} AS SELECT ${select}, CAST(NULL AS VARCHAR) AS ${q(REJECT_COLUMN)} FROM ${q(input.inputTable)}`,
      columns: available,
    };
  }
  // 1. Selection.
  let selected = available;
  if (mapping.fields) {
    for (const [i, f] of mapping.fields.entries())
      if (!available.includes(f))
        throw unknownColumn(f, 'fields', available, pipeline, { path: ['fields', i] });
    selected = [...mapping.fields];
  } else if (mapping.exclude) {
    for (const [i, f] of mapping.exclude.entries())
      if (!available.includes(f))
        throw unknownColumn(f, 'exclude', available, pipeline, { path: ['exclude', i] });
    selected = available.filter((c) => !mapping.exclude?.includes(c));
  }
  // 2. Rename (source name → output name).
  for (const from of Object.keys(mapping.rename)) {
    if (!available.includes(from))
      throw unknownColumn(from, 'rename', available, pipeline, { path: ['rename', from], key: true });
  }
  const renamed = new Map<string, string>(); // output name → source name
  const duplicates: string[] = [];
  for (const source of selected) {
    const output = mapping.rename[source] ?? source;
    if (renamed.has(output)) duplicates.push(output);
    renamed.set(output, source);
  }
  const outputNames = [...renamed.keys()];
  if (duplicates.length) {
    throw new FerryError(
      'MAPPING_DUPLICATE_COLUMN',
      `mapping.rename produces the column "${duplicates[0] ?? ''}" twice.`,
      {
        context: { pipeline, step: 'map' },
        hint: 'Rename one of the two columns to another name, or exclude one.',
      },
    );
  }
  // Which columns the user mapped explicitly; with `rest`, every other selected column is packed
  // into the map. `fields` only selects (what to import), so a listed column that is not renamed,
  // cast, keyed, required, a relation or the timestamp travels inside the map.
  const explicit = new Set<string>([
    ...Object.values(mapping.rename),
    ...Object.keys(mapping.cast),
    ...(mapping.key ?? []),
    ...mapping.required,
    ...(mapping.timestamp ? [mapping.timestamp.column] : []),
    ...Object.keys(mapping.relations),
  ]);
  const named: Array<[string, string, { path: Array<string | number>; key?: boolean }]> = [
    ...Object.keys(mapping.cast).map((c): [string, string, { path: string[]; key: boolean }] => [
      c,
      'cast',
      { path: ['cast', c], key: true },
    ]),
    ...(mapping.key ?? []).map((c, i): [string, string, { path: Array<string | number> }] => [
      c,
      'key',
      { path: ['key', i] },
    ]),
    ...mapping.required.map((c, i): [string, string, { path: Array<string | number> }] => [
      c,
      'required',
      { path: ['required', i] },
    ]),
  ];
  for (const [column, where, at] of named) {
    if (!renamed.has(column) && !(column in mapping.compute)) {
      throw unknownColumn(column, where, outputNames, pipeline, at);
    }
  }
  const fillImportTime = mapping.timestamp?.default === 'import-time';
  // A source without the timestamp column gets it, filled with the import time, when asked to.
  const createdTimestamp =
    mapping.timestamp &&
    !renamed.has(mapping.timestamp.column) &&
    !(mapping.timestamp.column in mapping.compute)
      ? mapping.timestamp.column
      : undefined;
  if (createdTimestamp !== undefined && !fillImportTime) {
    throw unknownColumn(createdTimestamp, 'timestamp.column', outputNames, pipeline, {
      path: ['timestamp', 'column'],
    });
  }
  const importTime = importTimeLiteral(input.importTime);

  // 3. Base projection with casts and timestamp parsing; conditions that reject a row.
  const rejectConditions: string[] = [];
  const base: string[] = [];
  const kept: string[] = [];
  const packed: string[] = [];
  for (const [output, source] of renamed) {
    if (mapping.rest && !explicit.has(output)) {
      packed.push(source);
      continue;
    }
    kept.push(output);
    const raw = q(source);
    const type = mapping.cast[output];
    if (mapping.timestamp?.column === output) {
      const parsed = compileTimestampSql({
        raw,
        format: mapping.timestamp.format,
        timezone: mapping.timestamp.timezone ?? input.timezone,
        pipeline,
        column: output,
      });
      const empty = `(${raw} IS NULL OR CAST(${raw} AS VARCHAR) = '')`;
      base.push(
        fillImportTime
          ? `CASE WHEN ${empty} THEN ${importTime} ELSE ${parsed} END AS ${q(output)}`
          : `${parsed} AS ${q(output)}`,
      );
      rejectConditions.push(
        `WHEN ${fillImportTime ? `NOT ${empty}` : `${raw} IS NOT NULL`} AND ${parsed} IS NULL THEN ${quoteLiteral(`timestamp column "${output}" does not read as ${mapping.timestamp.format ?? 'an ISO timestamp'}`)}`,
      );
    } else if (type) {
      base.push(`TRY_CAST(${raw} AS ${type}) AS ${q(output)}`);
      rejectConditions.push(
        `WHEN ${raw} IS NOT NULL AND TRY_CAST(${raw} AS ${type}) IS NULL THEN ${quoteLiteral(`column "${output}" does not cast to ${type}`)}`,
      );
    } else {
      base.push(`${raw} AS ${q(output)}`);
    }
  }
  if (createdTimestamp !== undefined) {
    kept.push(createdTimestamp);
    base.push(`${importTime} AS ${q(createdTimestamp)}`);
  }
  for (const column of mapping.required) {
    const source = renamed.get(column);
    if (source !== undefined) {
      rejectConditions.push(
        `WHEN ${q(source)} IS NULL OR CAST(${q(source)} AS VARCHAR) = '' THEN ${quoteLiteral(`required column "${column}" is empty`)}`,
      );
    }
  }
  if (mapping.rest) {
    if (renamed.has(mapping.rest.into) && !packed.includes(renamed.get(mapping.rest.into) ?? '')) {
      throw new FerryError(
        'MAPPING_DUPLICATE_COLUMN',
        `mapping.rest.into "${mapping.rest.into}" is also a source column.`,
        {
          context: { pipeline, step: 'map' },
          hint: 'Choose another name for the packed column, e.g. traits.',
        },
      );
    }
    // Unmapped columns become one MAP(VARCHAR, VARCHAR); empty values are left out.
    const entries = packed.map(
      (source) => `{'k': ${quoteLiteral(source)}, 'v': CAST(${q(source)} AS VARCHAR)}`,
    );
    const expr = entries.length
      ? `map_from_entries(list_filter([${entries.join(', ')}], e -> e.v IS NOT NULL AND e.v <> ''))`
      : `CAST(MAP() AS MAP(VARCHAR, VARCHAR))`;
    base.push(`${expr} AS ${q(mapping.rest.into)}`);
  }
  const reject = rejectConditions.length
    ? `CASE ${rejectConditions.join(' ')} ELSE NULL END`
    : 'CAST(NULL AS VARCHAR)';
  base.push(...INTERNAL_COLUMNS.map(q), `${reject} AS ${q(REJECT_COLUMN)}`);

  // 4. Computed columns see the mapped columns (a second SELECT level).
  const computed = Object.entries(mapping.compute);
  const outer = [
    ...kept.filter((c) => !(c in mapping.compute)).map(q),
    ...computed.map(([name, sql]) => `(${sql}) AS ${q(name)}`),
    ...(mapping.rest ? [q(mapping.rest.into)] : []),
    ...INTERNAL_COLUMNS.map(q),
    q(REJECT_COLUMN),
  ];
  const outputColumns = [
    ...kept.filter((c) => !(c in mapping.compute)),
    ...computed.map(([name]) => name),
    ...(mapping.rest ? [mapping.rest.into] : []),
  ];
  return {
    createStage: `CREATE TABLE ${q(input.outputTable)} AS SELECT ${outer.join(', ')} FROM (SELECT ${base.join(', ')} FROM ${q(input.inputTable)}) AS m`,
    columns: outputColumns,
  };
}
