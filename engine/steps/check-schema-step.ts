/**
 * check-schema: after load, before map. Types the loaded source's columns (text columns by what every
 * value reads as), compares them with the previous successful run's and the declared contract
 * (detect-schema-drift.ts), and applies the pipeline's policy: refuse the run (SCHEMA_DRIFT, or
 * SCHEMA_REQUIRED_COLUMN_MISSING), drop new columns, read missing ones as NULL, reject or cast values
 * of a changed type. The policy's changes replace `source` with a view over the loaded rows.
 */
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { FerryError } from '../errors/ferry-error.js';
import type { SchemaColumn } from '../plan/plan-model.js';
import { FILE_COLUMN, ROW_COLUMN } from './compile-mapping-sql.js';
import { inferSourceTypes } from './infer-source-types.js';
import { castTypeOf, detectSchemaDrift, schemaPolicyOf, type DriftDecision } from './detect-schema-drift.js';
import { MAX_RECORD_CHARS, REJECTED_ROWS_TABLE } from './rejected-rows.js';
import { MAX_REJECT_DETAILS, querySql, runSql, type StepContext } from './step-context.js';

const SOURCE = 'source';
const LOADED = 'source_loaded';

const valueSql = (column: string) => `NULLIF(trim(CAST(${q(column)} AS VARCHAR)), '')`;

/** Loaded types whose values compare with a BIGINT as numbers (a JSON field with one fraction is DOUBLE). */
const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\))$/;

/**
 * Whether a value converts to `type` exactly: TRY_CAST alone rounds '100.5' to a BIGINT 101. A text
 * value must be written as a whole number; a number must equal its BIGINT (so 1.0 converts and 2.5,
 * NaN, infinities and values out of range do not): its text would be '1.0', which is exact too.
 */
function convertsSql(column: string, type: string, loadedType: string): string {
  const cast = `TRY_CAST(${q(column)} AS ${type})`;
  if (type !== 'BIGINT') return `(${cast} IS NOT NULL)`;
  if (NUMERIC_TYPE.test(loadedType)) return `(${cast} IS NOT NULL AND ${cast} = ${q(column)})`;
  return `(${cast} IS NOT NULL AND regexp_full_match(${valueSql(column)}, '[+-]?[0-9]+'))`;
}

async function readColumns(context: StepContext): Promise<SchemaColumn[]> {
  const described = await querySql(context, 'check-schema', `DESCRIBE ${q(SOURCE)}`);
  const loaded = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const text = context.sourceColumns.filter((c) => loaded.get(c) === 'VARCHAR');
  const inferred = await inferSourceTypes(context, SOURCE, text);
  return context.sourceColumns.map((name) => ({
    name,
    type: inferred.get(name) ?? loaded.get(name) ?? 'VARCHAR',
  }));
}

export async function executeCheckSchemaStep(context: StepContext): Promise<void> {
  const { pipeline, project } = context;
  if (context.sourceColumns.length === 0) return; // nothing loaded: nothing to compare (no baseline is recorded either)
  const source = pipeline.source;
  const header = source.kind === 's3' && source.format.kind === 'csv' ? source.format.header : true;
  const sink = pipeline.sink;
  const decision = detectSchemaDrift({
    pipeline,
    columns: await readColumns(context),
    header,
    baseline: context.state.sourceSchema?.columns,
    ...(sink.kind === 'dataset' && project.datasets[sink.dataset]
      ? { datasetKey: project.datasets[sink.dataset]?.key ?? [] }
      : {}),
  });
  // The next run's baseline: what went on (ignored columns stay new, filled ones stay expected).
  decision.drift.columns = [
    ...decision.drift.columns.filter((c) => !decision.ignore.includes(c.name)),
    ...decision.fillNull,
  ];
  if (context.findings) context.findings.schemaDrift = decision.drift;
  const present = context.sourceColumns.join(', ');
  if (decision.missingRequired.length > 0) {
    throw new FerryError(
      'SCHEMA_REQUIRED_COLUMN_MISSING',
      `The source has no column ${decision.missingRequired.map((c) => `"${c}"`).join(', ')}, which the pipeline needs (a key or required column). The source has: ${present}.`,
      {
        context: {
          pipeline: pipeline.name,
          step: 'check-schema',
          ...(decision.missingPointer !== undefined ? { config: decision.missingPointer } : {}),
        },
        hint: 'Ask the vendor, or rename the column in mapping.rename; see docs/data-checks.md.',
      },
    );
  }
  if (decision.drift.breaking) {
    const d = decision.drift;
    const parts = [
      d.newColumns.length ? `new column(s) ${d.newColumns.join(', ')}` : '',
      d.missingColumns.length ? `missing column(s) ${d.missingColumns.join(', ')}` : '',
      ...d.typeChanges.map((t) => `${t.column} changed type ${t.before} → ${t.after}`),
      d.reordered ? 'columns reordered (headerless file)' : '',
    ].filter(Boolean);
    throw new FerryError(
      'SCHEMA_DRIFT',
      `The source's columns changed since the last successful run: ${parts.join('; ')}. Nothing was written. The source has: ${present}.`,
      {
        context: { pipeline: pipeline.name, step: 'check-schema', config: '/schema' },
        hint: 'Fix the source, or set schema.on_new_column / on_missing_column / on_type_change (docs/data-checks.md).',
      },
    );
  }
  if (decision.ignore.length || decision.fillNull.length || decision.convert.length)
    await applyPolicy(context, decision);
}

async function applyPolicy(context: StepContext, decision: DriftDecision): Promise<void> {
  const [kind] = await querySql(
    context,
    'check-schema',
    `SELECT count(*) AS n FROM duckdb_views() WHERE view_name = ${quoteLiteral(SOURCE)} AND NOT internal`,
  );
  await runSql(
    context,
    'check-schema',
    `ALTER ${Number(kind?.['n'] ?? 0) > 0 ? 'VIEW' : 'TABLE'} ${q(SOURCE)} RENAME TO ${q(LOADED)}`,
  );
  const actions = decision.drift.actions;
  const described = await querySql(context, 'check-schema', `DESCRIBE ${q(LOADED)}`);
  const loaded = new Map(described.map((r) => [String(r['column_name']), String(r['column_type'])]));
  const converts = (c: { column: string; type: string }) =>
    convertsSql(c.column, c.type, loaded.get(c.column) ?? 'VARCHAR');
  const rejectIf = decision.convert
    .filter(() => schemaPolicyOf(context.pipeline).onTypeChange === 'reject_rows')
    .map((c) => ({
      ...c,
      fails: `(${valueSql(c.column)} IS NOT NULL AND NOT ${converts(c)})`,
    }));
  if (rejectIf.length) await rejectTypeChanges(context, rejectIf);
  const replace = decision.convert.map(
    (c) => `CASE WHEN ${converts(c)} THEN TRY_CAST(${q(c.column)} AS ${c.type}) END AS ${q(c.column)}`,
  );
  const columns = context.sourceColumns.filter((c) => !decision.ignore.includes(c));
  const select = [
    `* ${decision.ignore.length ? `EXCLUDE (${decision.ignore.map(q).join(', ')}) ` : ''}${replace.length ? `REPLACE (${replace.join(', ')})` : ''}`,
    ...decision.fillNull.map((c) => `CAST(NULL AS ${castTypeOf(c.type)}) AS ${q(c.name)}`),
  ];
  const where = rejectIf.length ? ` WHERE NOT (${rejectIf.map((r) => r.fails).join(' OR ')})` : '';
  await runSql(
    context,
    'check-schema',
    `CREATE VIEW ${q(SOURCE)} AS SELECT ${select.join(', ')} FROM ${q(LOADED)}${where}`,
  );
  context.sourceColumns = [...columns, ...decision.fillNull.map((c) => c.name)];
  for (const c of decision.ignore) actions.push(`${c}: new column ignored`);
  for (const c of decision.fillNull) actions.push(`${c.name}: missing column read as NULL`);
  if (schemaPolicyOf(context.pipeline).onTypeChange === 'cast') {
    for (const c of decision.convert)
      actions.push(`${c.column}: cast to ${c.type} (values that do not convert are NULL)`);
  }
}

async function rejectTypeChanges(
  context: StepContext,
  rejectIf: Array<{ column: string; type: string; fails: string }>,
): Promise<void> {
  const reason = `CASE ${rejectIf.map((r) => `WHEN ${r.fails} THEN ${quoteLiteral(`schema:type_change(${r.column}): not ${r.type}`)}`).join(' ')} END`;
  const failing = `SELECT ${q(FILE_COLUMN)} AS file, ${q(ROW_COLUMN)} AS row, ${reason} AS reason, * FROM ${q(LOADED)} WHERE ${rejectIf.map((r) => r.fails).join(' OR ')}`;
  const record = `left(CAST(to_json({${context.sourceColumns.map((c) => `${quoteLiteral(c)}: f.${q(c)}`).join(', ')}}) AS VARCHAR), ${MAX_RECORD_CHARS})`;
  await runSql(
    context,
    'check-schema',
    `INSERT INTO ${q(REJECTED_ROWS_TABLE)} SELECT f.file, NULL, f.row, 'schema', f.reason, ${record} FROM (${failing}) f`,
  );
  const [counted] = await querySql(context, 'check-schema', `SELECT count(*) AS n FROM (${failing})`);
  const n = Number(counted?.['n'] ?? 0);
  context.counts.rowsRejected += n;
  const room = Math.max(0, MAX_REJECT_DETAILS - context.rejects.length);
  for (const r of await querySql(
    context,
    'check-schema',
    `SELECT file, row, reason FROM (${failing}) ORDER BY row LIMIT ${room}`,
  )) {
    context.rejects.push({
      file: String(r['file']),
      line: null,
      row: Number(r['row']),
      reason: String(r['reason']),
    });
  }
  for (const r of rejectIf)
    context.findings?.schemaDrift?.actions.push(`${r.column}: rows whose value is not ${r.type} rejected`);
  if (n > 0)
    context.findings?.schemaDrift?.actions.push(`${n} row${n === 1 ? '' : 's'} rejected (type change)`);
}
