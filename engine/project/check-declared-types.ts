/**
 * Validate-time check of every DuckDB type the configuration declares — `mapping.cast` values and
 * dataset `columns` — against DuckDB's own type grammar (engine/duckdb/check-duckdb-types.ts). Such a
 * name is spliced into SQL, so one that is really an expression must never reach a run. The common
 * names are recognised without DuckDB (parse-duckdb-type.ts); DuckDB is started (in a worker, ~0.3 s)
 * only for a declared type that fast path cannot vouch for. config/ stays free of I/O.
 */
import type { RuleIssue } from '../config/check-config-rules.js';
import { joinPointer } from '../config/locate-pointer.js';
import type { Pipeline, Project } from '../config/model.js';
import { suggest } from '../config/suggest.js';
import { checkDuckDbTypes, listDuckDbTypeNames, type TypeCheck } from '../duckdb/check-duckdb-types.js';
import { parseDuckDbType } from '../duckdb/parse-duckdb-type.js';
import { openSyncDuckDb } from '../duckdb/run-duckdb-sync.js';

interface DeclaredType {
  type: string;
  /** How the setting is written, for the message: mapping.cast.mrr, datasets.accounts.columns.mrr. */
  setting: string;
  file: string;
  pointer: string;
  /** Where the column is stored as Parquet (a Parquet sink, a dataset version), if it is. */
  parquet?: 'a Parquet sink' | 'a dataset version (Parquet)';
}

function declaredTypes(project: Project | undefined, pipelines: readonly Pipeline[]): DeclaredType[] {
  const declared: DeclaredType[] = [];
  for (const pipeline of pipelines) {
    const { sink } = pipeline;
    const parquet =
      sink.kind === 'dataset'
        ? 'a dataset version (Parquet)'
        : sink.format.kind === 'parquet'
          ? 'a Parquet sink'
          : undefined;
    for (const [column, type] of Object.entries(pipeline.mapping?.cast ?? {})) {
      declared.push({
        type,
        setting: `mapping.cast.${column}`,
        file: pipeline.origin.file,
        pointer: pipeline.origin.pointer + joinPointer(['mapping', 'cast', column]),
        ...(parquet ? { parquet } : {}),
      });
    }
  }
  for (const dataset of Object.values(project?.datasets ?? {})) {
    for (const [column, type] of Object.entries(dataset.columns)) {
      declared.push({
        type,
        setting: `datasets.${dataset.name}.columns.${column}`,
        file: dataset.origin.file,
        pointer: `${dataset.origin.pointer}${joinPointer(['columns', column])}`,
        parquet: 'a dataset version (Parquet)',
      });
    }
  }
  return declared;
}

/**
 * Answers by type name, for the life of the process: a type's validity depends only on the DuckDB
 * version, and a long-lived process (tests, a reloading server) need not start DuckDB again.
 */
const CHECKED = new Map<string, TypeCheck>();
let knownTypes: string[] = [];

/**
 * One CONFIG_BAD_TYPE problem per declared type that is not a DuckDB type, and one
 * CONFIG_HUGEINT_IN_PARQUET per HUGEINT/UHUGEINT that would be stored as Parquet.
 */
export function checkDeclaredTypes(input: {
  project: Project | undefined;
  pipelines: readonly Pipeline[];
}): RuleIssue[] {
  const declared = declaredTypes(input.project, input.pipelines);
  if (declared.length === 0) return [];
  for (const type of new Set(declared.map((d) => d.type))) {
    const canonical = CHECKED.has(type) ? undefined : parseDuckDbType(type);
    if (canonical !== undefined) CHECKED.set(type, { ok: true, canonical });
  }
  const unchecked = [...new Set(declared.map((d) => d.type))].filter((t) => !CHECKED.has(t));
  if (unchecked.length > 0) {
    const db = openSyncDuckDb();
    try {
      for (const [type, check] of checkDuckDbTypes(db, unchecked)) CHECKED.set(type, check);
      const unknownName = [...CHECKED.values()].some((c) => !c.ok && c.unknownName !== undefined);
      if (unknownName && knownTypes.length === 0) knownTypes = listDuckDbTypeNames(db);
    } finally {
      db.close();
    }
  }
  const checks = CHECKED;
  const known = knownTypes;
  return declared.flatMap((d): RuleIssue[] => {
    const check = checks.get(d.type);
    if (check?.ok) return hugeIntInParquet(d, check.canonical);
    if (check === undefined) return [];
    const guess =
      check.unknownName === undefined ? undefined : suggest(check.unknownName.toUpperCase(), known);
    return [
      {
        code: 'CONFIG_BAD_TYPE',
        severity: 'error',
        message: `${d.setting}: "${d.type}" is not a DuckDB type (${check.reason}).`,
        hint: `${guess ? `Did you mean ${guess}? ` : ''}Use a DuckDB type name such as VARCHAR, BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMPTZ, DECIMAL(18,2), VARCHAR[] or MAP(VARCHAR, VARCHAR).`,
        file: d.file,
        pointer: d.pointer,
      },
    ];
  });
}

/**
 * DuckDB writes HUGEINT and UHUGEINT to Parquet as DOUBLE, which keeps 15–17 digits of their 39:
 * refused where the column ends up in Parquet (a Parquet sink; a dataset, whose versions are Parquet).
 */
function hugeIntInParquet(d: DeclaredType, canonical: string): RuleIssue[] {
  const huge = /\bU?HUGEINT\b/i.exec(canonical)?.[0]?.toUpperCase();
  if (huge === undefined || d.parquet === undefined) return [];
  return [
    {
      code: 'CONFIG_HUGEINT_IN_PARQUET',
      severity: 'error',
      message: `${d.setting}: ${huge} goes into ${d.parquet}, where DuckDB writes it as DOUBLE: values past 2^53 would lose digits.`,
      hint: 'Use DECIMAL(38,0) (exact, up to 38 digits) or VARCHAR (any length) instead.',
      file: d.file,
      pointer: d.pointer,
    },
  ];
}
