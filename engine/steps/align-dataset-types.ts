/**
 * A dataset column that is not declared takes its type from the data, so two runs can disagree: a
 * field was BIGINT in the current version and DOUBLE in this run, or a STRUCT before and a string
 * now. Before the merge, both sides get one type per column by the JSON type rule (widen, else
 * JSON; json-type.ts), applied to the values of both: the current version is rewritten into the temp
 * dir with converted columns, and this run's rows are read through a view that converts them.
 * A key column that only JSON would fit becomes its text on both sides instead: the merge matches keys
 * by their text, and as JSON the number 2 and the string "2" would be two keys.
 */
import { join } from 'node:path';
import { quoteIdent as q, quoteLiteral } from '../duckdb/sql.js';
import { unifyJsonTypes } from '../duckdb/unify-json-types.js';
import { querySql, runSql, type StepContext } from './step-context.js';

async function typesOf(context: StepContext, relation: string): Promise<Record<string, string>> {
  const rows = await querySql(context, 'merge-dataset', `DESCRIBE SELECT * FROM ${relation}`);
  return Object.fromEntries(rows.map((r) => [String(r['column_name']), String(r['column_type'])]));
}

function replaceSql(conversions: Readonly<Record<string, string>>): string {
  const items = Object.entries(conversions).map(([c, sql]) => `${sql} AS ${q(c)}`);
  return items.length ? `* REPLACE (${items.join(', ')})` : '*';
}

/**
 * The current version's file and this run's table to merge, with the same type for every column
 * both have (declared columns are left alone: their type is fixed). Unchanged when types agree.
 */
export async function alignDatasetTypes(
  context: StepContext,
  input: {
    currentFile: string | undefined;
    incomingTable: string;
    declared: readonly string[];
    key: readonly string[];
  },
): Promise<{ currentFile: string | undefined; incomingTable: string }> {
  const { currentFile, incomingTable } = input;
  if (currentFile === undefined) return { currentFile, incomingTable };
  const current = `read_parquet(${quoteLiteral(currentFile)})`;
  const currentTypes = await typesOf(context, current);
  const incomingTypes = await typesOf(context, q(incomingTable));
  const shared = (types: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(types).filter(
        ([c]) => c in currentTypes && c in incomingTypes && !input.declared.includes(c),
      ),
    );
  const [forCurrent = {}, forIncoming = {}] = await unifyJsonTypes(
    context.session,
    [
      { table: { sql: current }, columnTypes: shared(currentTypes) },
      { table: incomingTable, columnTypes: shared(incomingTypes) },
    ],
    input.key,
  );
  if (Object.keys(forCurrent).length === 0) return { currentFile, incomingTable };
  const aligned = join(context.tempDir, 'dataset-current-aligned.parquet');
  await runSql(
    context,
    'merge-dataset',
    `COPY (SELECT ${replaceSql(forCurrent)} FROM ${current}) TO ${quoteLiteral(aligned)} (FORMAT parquet)`,
  );
  await runSql(
    context,
    'merge-dataset',
    `CREATE VIEW incoming_aligned AS SELECT ${replaceSql(forIncoming)} FROM ${q(incomingTable)}`,
  );
  return { currentFile: aligned, incomingTable: 'incoming_aligned' };
}
