/**
 * The mapping is a view (map-step.ts): its computed columns and casts first run in the statement that
 * reads the mapped rows — a merge's join, a COPY of write-files. When such a statement fails in
 * DuckDB, name the mapping setting at fault (MAPPING_COMPUTE_FAILED, MAPPING_BAD_CAST) as the map
 * step would have; an error no mapping setting explains is passed on as it is.
 */
import { isFerryError } from '../errors/ferry-error.js';
import type { StepContext } from './step-context.js';

export async function explainMappedFailure(context: StepContext, error: unknown): Promise<unknown> {
  const explain = context.explainMappingFailure;
  if (!explain || !isFerryError(error) || error.code !== 'DUCKDB_ERROR') return error;
  const explained = await explain(error);
  return explained.code === 'MAPPING_FAILED' ? error : explained;
}
