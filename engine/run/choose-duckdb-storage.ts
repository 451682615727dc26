/**
 * Where a run's DuckDB keeps its tables: in memory (spilling past limits.memory to the temp dir), or,
 * for a run whose input is many times limits.memory, in a database file in the run's temp dir. At 100M
 * rows (an 11 GB CSV, 640 MiB of memory) the in-memory database's tables filled the buffer pool
 * beyond what DuckDB would evict: after `CREATE TABLE current` any statement needing working memory
 * failed at once with Out of Memory, at 1 GiB as at 640 MiB, and a sort, a window and a GROUP BY alike.
 * With a database file the same run passed: its tables are written to the file and evicted like any
 * persistent data. The file costs writes (the 100M load took 2 min 45 s instead of 1–1.3 min, while
 * check-schema and map got faster on the compressed tables), so runs that fit in memory several times
 * over keep the in-memory database. Decided from the listed sizes, before the session opens.
 */

/** A run whose selected files are more than this many times limits.memory gets a database file. */
export const DATABASE_FILE_FACTOR = 4;
/** The database file's name in the run's temp dir. */
export const DATABASE_FILE_NAME = 'run.duckdb';

export function chooseDuckDbStorage(input: {
  /** The files the run fetches, with their listed sizes. */
  selected: ReadonlyArray<{ size: number }>;
  memoryBytes: number;
}): { databaseFile?: string } {
  const total = input.selected.reduce((sum, file) => sum + file.size, 0);
  return total > DATABASE_FILE_FACTOR * input.memoryBytes ? { databaseFile: DATABASE_FILE_NAME } : {};
}
