/**
 * What every non-empty value of a text column reads as: the first of BIGINT, DOUBLE, BOOLEAN, DATE,
 * TIMESTAMP that all of them read as, else VARCHAR; NULL when all are empty. Exact over every row, but
 * in about one pass of one predicate per typed column instead of every predicate over every row:
 *
 * 1. The first SAMPLE_ROWS rows are typed with every predicate. A type no sampled value reads as is
 *    ruled out for the whole column; if the sample is the whole source, it is the answer.
 * 2. Each column's first remaining candidate is checked over every row, all columns in one query.
 *    A column whose candidate fails moves to its next one, and the query runs again for those
 *    columns only (rare: a value unlike the first SAMPLE_ROWS).
 *
 * Text columns (names, e-mails) have no candidate after the sample, so they cost nothing in step 2,
 * and step 2 trims only the values that do not fit untrimmed (trimming every value cost more than the
 * predicates).
 */
import { quoteIdent as q } from '../duckdb/sql.js';
import { querySql, type StepContext } from './step-context.js';

/** One DuckDB vector: enough to rule out most types of a text column, cheap to type every way. */
export const SAMPLE_ROWS = 2_048;

const TYPES = ['BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;
type Candidate = (typeof TYPES)[number] | 'NULL';

/** Whether the non-empty value `x` reads as `type` (exactly: TRY_CAST alone rounds '100.5' to BIGINT). */
function readsAs(type: (typeof TYPES)[number], x: string): string {
  switch (type) {
    case 'BIGINT':
      return `regexp_full_match(${x}, '[+-]?[0-9]{1,18}')`;
    case 'DOUBLE':
      return `TRY_CAST(${x} AS DOUBLE) IS NOT NULL`;
    case 'BOOLEAN':
      return `lower(${x}) IN ('true', 'false')`;
    case 'DATE':
      return `regexp_full_match(${x}, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(${x} AS DATE) IS NOT NULL`;
    case 'TIMESTAMP':
      return `TRY_CAST(${x} AS TIMESTAMP) IS NOT NULL`;
  }
}

/** An aggregate that is true when every row of `x` fits `candidate`. */
function fitsAll(candidate: Candidate, x: string): string {
  return candidate === 'NULL'
    ? `count(${x}) = 0`
    : `coalesce(bool_and(${x} IS NULL OR (${readsAs(candidate, x)})), true)`;
}

/**
 * fitsAll over the untrimmed text `c`, trimming only the values that do not fit as they are: a value
 * that reads as a type still does once trimmed (the patterns admit no spaces, and the casts skip the
 * spaces trim removes), so the answer is the same, without a trimmed copy of every value.
 */
function fitsAllUntrimmed(candidate: Candidate, c: string): string {
  if (candidate === 'NULL') return fitsAll(candidate, trimmed(c));
  const x = trimmed(c);
  return `coalesce(bool_and(CASE WHEN ${c} IS NULL OR (${readsAs(candidate, c)}) THEN true ELSE ${x} IS NULL OR (${readsAs(candidate, x)}) END), true)`;
}

const trimmed = (c: string): string => `NULLIF(trim(${c}), '')`;

/** The text columns' values, trimmed, empty as NULL, named x0, x1…, from `from`. */
function valuesOf(columns: readonly string[], from: string): string {
  return `SELECT ${columns.map((c, i) => `${trimmed(q(c))} AS x${i}`).join(', ')} FROM ${from}`;
}

/** Infers the type of each of `columns` (text columns of `table`) over all of its rows. */
export async function inferSourceTypes(
  context: StepContext,
  table: string,
  columns: readonly string[],
): Promise<Map<string, string>> {
  const inferred = new Map<string, string>();
  if (columns.length === 0) return inferred;
  const sampleAggregates = columns.flatMap((_, i) => [
    `count(x${i}) AS n${i}`,
    ...TYPES.map((t) => `${fitsAll(t, `x${i}`)} AS c${i}_${t}`),
  ]);
  const [sample] = await querySql(
    context,
    'check-schema',
    `SELECT count(*) AS rows, ${sampleAggregates.join(', ')} FROM (${valuesOf(columns, `${q(table)} LIMIT ${SAMPLE_ROWS}`)})`,
  );
  const whole = Number(sample?.['rows'] ?? 0) < SAMPLE_ROWS;
  // Each column's remaining candidates, in order; the sample rules out what it can.
  const candidates = columns.map((_, i): Candidate[] => {
    const fits = TYPES.filter((t) => sample?.[`c${i}_${t}`] === true);
    if (Number(sample?.[`n${i}`] ?? 0) > 0) return fits;
    return whole ? ['NULL'] : ['NULL', ...fits];
  });
  if (whole) {
    columns.forEach((c, i) => inferred.set(c, candidates[i]?.[0] ?? 'VARCHAR'));
    return inferred;
  }
  let pending = columns.map((_, i) => i).filter((i) => (candidates[i]?.length ?? 0) > 0);
  columns.forEach((c, i) => {
    if (!pending.includes(i)) inferred.set(c, 'VARCHAR');
  });
  while (pending.length > 0) {
    const checks = pending.map(
      (i, j) => `${fitsAllUntrimmed(candidates[i]?.[0] ?? 'NULL', q(columns[i] ?? ''))} AS f${j}`,
    );
    const [row] = await querySql(context, 'check-schema', `SELECT ${checks.join(', ')} FROM ${q(table)}`);
    const next: number[] = [];
    pending.forEach((i, j) => {
      const list = candidates[i] ?? [];
      if (row?.[`f${j}`] === true) inferred.set(columns[i] ?? '', list[0] ?? 'VARCHAR');
      else if (list.length > 1) {
        list.shift();
        next.push(i);
      } else inferred.set(columns[i] ?? '', 'VARCHAR');
    });
    pending = next;
  }
  return inferred;
}
