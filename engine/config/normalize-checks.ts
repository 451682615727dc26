/**
 * `checks:` (a pipeline's, a dataset's in ferry.yaml) and `schema:` (a pipeline's, `defaults.schema`)
 * as written → one form: every check named and with its severity and on_fail; the drift policy with
 * each option resolved from the pipeline, then the project defaults, then DEFAULT_SCHEMA_POLICY.
 */
import type { Check, SchemaPolicy } from './model.js';
import { parseDuration } from './parse-duration.js';
import type { CheckList, SchemaPolicy as SchemaPolicySpec } from './pipeline-spec.gen.js';
import type { SchemaPolicyDefaults } from './project-spec.gen.js';

/**
 * The built-in drift policy: new columns are read, a missing column refuses the run, and values that
 * no longer read as their column's previous type are rejected row by row (one "n/a" in a number column
 * is a bad row, not a reason to refuse the file; a column that turned to text throughout rejects every
 * row, which a row_count check, or on_type_change: fail, refuses).
 */
export const DEFAULT_SCHEMA_POLICY: Omit<SchemaPolicy, 'columns'> = {
  onNewColumn: 'include',
  onMissingColumn: 'fail',
  onTypeChange: 'reject_rows',
};

type CheckSpec = CheckList[number];

function defaultName(spec: CheckSpec): string {
  switch (spec.kind) {
    case 'unique':
    case 'not_null':
      return `${spec.kind}(${spec.columns.join(',')})`;
    case 'accepted_values':
    case 'matches':
    case 'range':
    case 'freshness':
      return `${spec.kind}(${spec.column})`;
    case 'row_count':
    case 'row_count_change':
    case 'sql':
      return spec.kind;
  }
}

/** Names are made unique within the list (a second `sql` becomes `sql#2`). */
export function normalizeChecks(specs: CheckList | undefined): Check[] {
  const seen = new Map<string, number>();
  return (specs ?? []).map((spec) => {
    const base = spec.name ?? defaultName(spec);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const common = {
      name: n === 1 ? base : `${base}#${n}`,
      severity: spec.severity ?? 'fail',
      onFail: spec.on_fail ?? 'fail_run',
    } as const;
    switch (spec.kind) {
      case 'unique':
      case 'not_null':
        return { ...common, kind: spec.kind, columns: [...spec.columns] };
      case 'accepted_values':
        return { ...common, kind: spec.kind, column: spec.column, values: [...spec.values] };
      case 'matches':
        return { ...common, kind: spec.kind, column: spec.column, pattern: spec.pattern };
      case 'range':
        return {
          ...common,
          kind: spec.kind,
          column: spec.column,
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
        };
      case 'row_count':
        return {
          ...common,
          kind: spec.kind,
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
        };
      case 'row_count_change':
        return {
          ...common,
          kind: spec.kind,
          ...(spec.max_decrease_percent !== undefined
            ? { maxDecreasePercent: spec.max_decrease_percent }
            : {}),
          ...(spec.max_increase_percent !== undefined
            ? { maxIncreasePercent: spec.max_increase_percent }
            : {}),
        };
      case 'freshness':
        return {
          ...common,
          kind: spec.kind,
          column: spec.column,
          maxAge: spec.max_age,
          maxAgeMs: parseDuration(spec.max_age) ?? 0,
        };
      case 'sql':
        return {
          ...common,
          kind: spec.kind,
          ...(spec.expression !== undefined ? { expression: spec.expression } : {}),
          ...(spec.query !== undefined ? { query: spec.query } : {}),
        };
    }
  });
}

export function normalizeSchemaDefaults(
  spec: SchemaPolicyDefaults | undefined,
): Partial<Omit<SchemaPolicy, 'columns'>> | undefined {
  if (!spec) return undefined;
  return {
    ...(spec.on_new_column !== undefined ? { onNewColumn: spec.on_new_column } : {}),
    ...(spec.on_missing_column !== undefined ? { onMissingColumn: spec.on_missing_column } : {}),
    ...(spec.on_type_change !== undefined ? { onTypeChange: spec.on_type_change } : {}),
  };
}

/** undefined when neither the pipeline nor the project says anything: the built-in defaults apply. */
export function normalizeSchemaPolicy(
  spec: SchemaPolicySpec | undefined,
  defaults: Partial<Omit<SchemaPolicy, 'columns'>> | undefined,
): SchemaPolicy | undefined {
  if (!spec && !defaults) return undefined;
  const own = normalizeSchemaDefaults(spec);
  const columns: SchemaPolicy['columns'] = {};
  for (const [name, c] of Object.entries(spec?.columns ?? {})) {
    if (!c) continue;
    columns[name] = {
      ...(c.type !== undefined ? { type: c.type } : {}),
      required: c.required ?? false,
    };
  }
  return { ...DEFAULT_SCHEMA_POLICY, ...defaults, ...own, columns };
}
