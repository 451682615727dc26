/**
 * Schema drift, decided: the source's columns now against a baseline (the previous successful run's
 * columns, with a declared contract's types taking precedence) and what the pipeline's policy says.
 * Pure: the columns in, the drift and the actions to take out. check-schema-step.ts runs it.
 */
import type { Pipeline, SchemaPolicy } from '../config/model.js';
import { DEFAULT_SCHEMA_POLICY } from '../config/normalize-checks.js';
import type { SchemaColumn, SchemaDrift } from '../plan/plan-model.js';

/** Types by what their values can be read as: a value of an inner type converts to the outer ones. */
function family(type: string): string {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t))
    return 'BIGINT';
  if (/^(FLOAT|REAL|DOUBLE)$/.test(t) || t.startsWith('DECIMAL')) return 'DOUBLE';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  return t;
}

/** Whether values now typed `after` still read as `before` (BIGINT fits DOUBLE, DATE fits TIMESTAMP, all fit VARCHAR and JSON). */
export function typeFits(after: string, before: string): boolean {
  const a = family(after);
  const b = family(before);
  return (
    a === b ||
    a === 'NULL' ||
    b === 'NULL' ||
    b === 'VARCHAR' ||
    b === 'JSON' ||
    (a === 'BIGINT' && b === 'DOUBLE') ||
    (a === 'DATE' && b === 'TIMESTAMP')
  );
}

/** The expected type for TRY_CAST when a value does not fit (DuckDB's name for the family). */
export function castTypeOf(type: string): string {
  const f = family(type);
  return f === 'NULL' ? 'VARCHAR' : f;
}

export function schemaPolicyOf(pipeline: Pipeline): SchemaPolicy {
  return pipeline.schema ?? { ...DEFAULT_SCHEMA_POLICY, columns: {} };
}

/** Source columns the pipeline cannot do without: its key and required columns, by their source names, with where each is set. */
export function requiredSourceColumns(
  pipeline: Pipeline,
  datasetKey: readonly string[] | undefined,
  /** Source columns of the previous successful run. */
  known?: ReadonlySet<string>,
): Array<{ column: string; pointer: string | undefined }> {
  const mapping = pipeline.mapping;
  const key = mapping?.key
    ? { columns: mapping.key, pointer: '/mapping/key' }
    : pipeline.diff?.key
      ? { columns: pipeline.diff.key, pointer: '/diff/key' }
      : { columns: datasetKey ?? [], pointer: undefined };
  const outputs = [
    ...key.columns.map((c, i) => ({ output: c, pointer: key.pointer && `${key.pointer}/${i}` })),
    ...(mapping?.required ?? []).map((c, i) => ({ output: c, pointer: `/mapping/required/${i}` })),
  ];
  const sources: Array<{ column: string; pointer: string | undefined }> = [];
  for (const { output, pointer } of outputs) {
    if (mapping?.compute[output] !== undefined) continue;
    if (mapping?.timestamp?.column === output && mapping.timestamp.default === 'import-time') continue;
    const renamed = Object.entries(mapping?.rename ?? {}).find(([, to]) => to === output)?.[0];
    const column = renamed ?? output;
    // With a mapping, a key may be computed or packed: only a source column the last run had is known to be one.
    if (mapping && !known?.has(column)) continue;
    sources.push({ column, pointer });
  }
  for (const [name, c] of Object.entries(schemaPolicyOf(pipeline).columns))
    if (c.required)
      sources.push({
        column: name,
        pointer: `/schema/columns/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      });
  return sources.filter((s, i) => sources.findIndex((o) => o.column === s.column) === i);
}

export interface DriftDecision {
  drift: SchemaDrift;
  /** Required or key columns that are not there: always fatal. */
  missingRequired: string[];
  /** Where the first missing one is set (relative to the pipeline), when it is. */
  missingPointer?: string;
  ignore: string[];
  fillNull: SchemaColumn[];
  /** Columns whose values must fit the type: rejected or cast, per policy. */
  convert: Array<{ column: string; type: string }>;
}

export function detectSchemaDrift(input: {
  pipeline: Pipeline;
  columns: readonly SchemaColumn[];
  header: boolean;
  baseline: readonly SchemaColumn[] | undefined;
  datasetKey?: readonly string[];
}): DriftDecision {
  const policy = schemaPolicyOf(input.pipeline);
  const now = new Map(input.columns.map((c) => [c.name, c.type]));
  const contract = Object.entries(policy.columns);
  const expected = new Map<string, string>((input.baseline ?? []).map((c) => [c.name, c.type]));
  for (const [name, c] of contract) if (c.type) expected.set(name, c.type);
  const before = input.baseline ?? [];
  const newColumns = input.baseline
    ? input.columns.filter((c) => !before.some((b) => b.name === c.name)).map((c) => c.name)
    : [];
  const missingColumns = before.filter((b) => !now.has(b.name)).map((b) => b.name);
  const missing = requiredSourceColumns(
    input.pipeline,
    input.datasetKey,
    new Set(before.map((b) => b.name)),
  ).filter((c) => !now.has(c.column));
  const missingRequired = missing.map((c) => c.column);
  const missingPointer = missing.find((c) => c.pointer !== undefined)?.pointer;
  const typeChanges = [...expected]
    .filter(([name, type]) => now.has(name) && !typeFits(now.get(name) ?? 'NULL', type))
    .map(([column, type]) => ({ column, before: type, after: now.get(column) ?? 'NULL' }));
  const reordered =
    !input.header &&
    before.length === input.columns.length &&
    before.some((b, i) => family(b.type) !== family(input.columns[i]?.type ?? '')) &&
    [...before.map((b) => family(b.type))].sort().join() ===
      [...input.columns.map((c) => family(c.type))].sort().join();
  const breaking =
    missingRequired.length > 0 ||
    (newColumns.length > 0 && policy.onNewColumn === 'fail') ||
    (missingColumns.length > 0 && policy.onMissingColumn === 'fail') ||
    // Columns that moved in a headerless file make every row wrong: never fixed row by row.
    reordered ||
    (typeChanges.length > 0 && policy.onTypeChange === 'fail');
  const ignore = policy.onNewColumn === 'ignore' ? newColumns : [];
  const fillNull =
    policy.onMissingColumn === 'null'
      ? before.filter((b) => missingColumns.includes(b.name) && !missingRequired.includes(b.name))
      : [];
  const convert =
    policy.onTypeChange === 'fail'
      ? []
      : typeChanges.map((t) => ({ column: t.column, type: castTypeOf(t.before) }));
  return {
    drift: {
      baseline: input.baseline ? 'previous-run' : contract.length ? 'contract' : 'none',
      columns: [...input.columns],
      header: input.header,
      newColumns,
      missingColumns,
      typeChanges,
      reordered,
      breaking,
      actions: [],
    },
    missingRequired,
    ...(missingPointer !== undefined ? { missingPointer } : {}),
    ignore,
    fillNull,
    convert,
  };
}
