/**
 * `ferry state repair DATASET`: rebuilds a lost or damaged dataset manifest from the version files
 * that are still there (the newest becomes current), counting each file's rows with DuckDB.
 */
import { join } from 'node:path';
import { createDuckDbSession } from '../duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../duckdb/sql.js';
import { createRunTempDir } from '../io/temp-dir.js';
import type { DatasetManifest } from '../state/dataset-store.js';
import type { StateStore } from '../state/state-store.js';
import { createRunId } from './run-pipeline.js';

export async function repairDataset(store: StateStore, dataset: string): Promise<DatasetManifest> {
  const runId = `repair-${createRunId(new Date())}`;
  const lock = await store.acquireDatasetLock(dataset, { runId });
  const temp = await createRunTempDir({ runId });
  const session = await createDuckDbSession({ tempDir: temp.path });
  try {
    return await store.datasets.repair(dataset, {
      scratchPath: join(temp.path, 'version.parquet'),
      countRows: async (path) => {
        const [row] = await session.all(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(path)})`);
        return Number(row?.['n'] ?? 0);
      },
    });
  } finally {
    session.close();
    await temp.cleanup();
    await lock.release();
  }
}
