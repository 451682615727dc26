/**
 * When the mapping statement fails in DuckDB, say which setting is wrong instead of passing on a
 * binder error. Only on the error path: each computed expression and each cast type is tried on its
 * own against the same columns, and the first that fails is named with its place in the pipeline
 * file (file:line:col), DuckDB's reason and what to do.
 */
import { joinPointer } from '../config/locate-pointer.js';
import type { Mapping } from '../config/model.js';
import type { DuckDbSession } from '../duckdb/create-duckdb-session.js';
import { duckDbMessageOf } from '../duckdb/wrap-duckdb-error.js';
import { FerryError } from '../errors/ferry-error.js';

function reasonOf(error: unknown): string {
  return (duckDbMessageOf(error).split('\n')[0] ?? '').trim();
}

async function fails(session: DuckDbSession, sql: string): Promise<unknown> {
  try {
    await session.all(sql);
    return undefined;
  } catch (error) {
    return error ?? new Error('failed');
  }
}

/** The FerryError for a failed mapping statement: MAPPING_BAD_CAST, MAPPING_COMPUTE_FAILED or MAPPING_FAILED. */
export async function explainMappingFailure(
  session: DuckDbSession,
  input: { error: unknown; mapping: Mapping | undefined; computeScope: string; pipeline: string },
): Promise<FerryError> {
  const { mapping, pipeline } = input;
  const context = { pipeline, step: 'map' };
  for (const [column, type] of Object.entries(mapping?.cast ?? {})) {
    const error = await fails(session, `SELECT TRY_CAST(NULL AS ${type}) AS v`);
    if (error !== undefined) {
      return new FerryError(
        'MAPPING_BAD_CAST',
        `mapping.cast.${column}: "${type}" is not a DuckDB type (${reasonOf(error)}).`,
        {
          context: { ...context, config: joinPointer(['mapping', 'cast', column]) },
          cause: error,
          hint: 'Use a DuckDB type such as VARCHAR, BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMPTZ, DECIMAL(18,2) or VARCHAR[].',
        },
      );
    }
  }
  for (const [column, sql] of Object.entries(mapping?.compute ?? {})) {
    // count() runs the expression on every row: errors in the data (a failed CAST) show up too.
    const error = await fails(session, `SELECT count((${sql})) AS n FROM ${input.computeScope}`);
    if (error !== undefined) {
      return new FerryError(
        'MAPPING_COMPUTE_FAILED',
        `mapping.compute.${column} does not run: ${reasonOf(error)}`,
        {
          context: { ...context, config: joinPointer(['mapping', 'compute', column]) },
          cause: error,
          hint: 'A computed column sees the selected columns after rename and cast (also those packed into rest), not other computed columns; use TRY_CAST for values that may not convert.',
        },
      );
    }
  }
  return new FerryError('MAPPING_FAILED', `The mapping does not run: ${reasonOf(input.error)}`, {
    context: { ...context, config: '/mapping' },
    cause: input.error,
    hint: 'Check the mapping against the source columns; `ferry plan --show-sql` prints the statement.',
  });
}
