/**
 * The dataset a run merges into is fetched while the source loads (prefetch-dataset-version.ts): the
 * load step starts the fetch, the merge step takes its result instead of fetching again, and a fetch
 * that fails is the merge's to report (the load still succeeds; nothing is left unhandled).
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { FerryError, isFerryError } from '../../../engine/errors/ferry-error.js';
import { executeLoadStep } from '../../../engine/steps/load-step.js';
import type { DatasetContext } from '../../../engine/steps/dataset-context.js';
import {
  currentVersionPath,
  fetchCurrentVersion,
  settleDatasetPrefetch,
} from '../../../engine/steps/prefetch-dataset-version.js';
import { CREATE_REJECTED_ROWS_TABLE } from '../../../engine/steps/rejected-rows.js';
import type { StepContext } from '../../../engine/steps/step-context.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-prefetch-'));
  dirs.push(dir);
  return dir;
}

/** A dataset context over one stored version file (or failing with `fail`); every fetch is recorded. */
async function datasetsOver(fail?: FerryError): Promise<{ datasets: DatasetContext; calls: string[][] }> {
  const stored = join(await tempDirectory(), 'stored.parquet');
  await writeFile(stored, 'the current version');
  const calls: string[][] = [];
  const datasets: DatasetContext = {
    manifests: new Map(),
    fetchCurrent: async (dataset, localPath) => {
      calls.push([dataset, localPath]);
      if (fail) throw fail;
      await copyFile(stored, localPath);
      return true;
    },
    watermarks: {},
    nextWatermarks: {},
  };
  return { datasets, calls };
}

/** The load step over a two-row CSV, with `datasets` and `sink`; a real DuckDB session. */
async function loadInto(datasets: DatasetContext, sink: { kind: string; dataset?: string }) {
  const tempDir = await tempDirectory();
  const input = join(tempDir, 'in-0000');
  await writeFile(input, 'id,name\n1,a\n2,b\n');
  const session = await createDuckDbSession({ tempDir });
  await session.run(CREATE_REJECTED_ROWS_TABLE);
  const context = {
    mode: 'apply',
    pipeline: {
      name: 'p',
      source: {
        kind: 's3',
        bucket: 'b',
        compression: 'auto',
        format: {
          kind: 'csv',
          delimiter: ',',
          quote: '"',
          escape: '"',
          header: true,
          encoding: 'utf-8',
          emptyFile: 'skip',
          maxRejects: { kind: 'count', value: 0 },
        },
      },
      sink,
    },
    tempDir,
    session,
    datasets,
    fetched: [{ candidate: { key: 'in/a.csv' }, path: input, sha256: '' }],
    sourceColumns: [],
    counts: { rowsRead: 0, rowsRejected: 0 },
    rejects: [],
    warnings: [],
    sql: [],
  } as unknown as StepContext;
  try {
    await executeLoadStep(context, { kind: 'load', format: 'csv', table: 'source' });
  } finally {
    session.close();
  }
  return context;
}

describe('prefetch of the dataset version', () => {
  it('the load step starts fetching the sink dataset; the merge takes that fetch, not a second one', async () => {
    const { datasets, calls } = await datasetsOver();
    const context = await loadInto(datasets, { kind: 'dataset', dataset: 'accounts' });
    const path = currentVersionPath(context);
    expect(calls).toEqual([['accounts', path]]);
    expect(await fetchCurrentVersion(context, 'accounts', path)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('the current version');
    expect(calls).toHaveLength(1);
    // Another dataset (a relation's target) is fetched as before.
    const relation = join(context.tempDir, 'relation-users.parquet');
    expect(await fetchCurrentVersion(context, 'users', relation)).toBe(true);
    expect(calls).toEqual([
      ['accounts', path],
      ['users', relation],
    ]);
    await settleDatasetPrefetch(context);
  });

  it('a fetch that fails does not fail the load; the merge reports it with its code', async () => {
    const corrupt = new FerryError('DATASET_VERSION_CORRUPT', 'not the file that was committed');
    const { datasets, calls } = await datasetsOver(corrupt);
    const context = await loadInto(datasets, { kind: 'dataset', dataset: 'accounts' });
    expect(context.counts.rowsRead).toBe(2);
    expect(calls).toHaveLength(1);
    const error = await fetchCurrentVersion(context, 'accounts', currentVersionPath(context)).catch(
      (e: unknown) => e,
    );
    expect(isFerryError(error) && error.code).toBe('DATASET_VERSION_CORRUPT');
  });

  it('nothing is fetched for a pipeline that writes files', async () => {
    const { datasets, calls } = await datasetsOver();
    await loadInto(datasets, { kind: 's3' });
    expect(calls).toEqual([]);
    expect(datasets.prefetched).toBeUndefined();
  });
});
