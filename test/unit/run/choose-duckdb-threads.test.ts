import { describe, expect, it } from 'vitest';
import {
  chooseDuckDbThreads,
  SMALL_RUN_FILE_BYTES,
  SMALL_RUN_STATE_ROWS,
  SMALL_RUN_TOTAL_BYTES,
} from '../../../engine/run/choose-duckdb-threads.js';
import type { DatasetManifest } from '../../../engine/state/dataset-store.js';

const s3 = { source: { kind: 's3' as const } };
const files = (count: number, size: number) => Array.from({ length: count }, () => ({ size }));

function manifest(rows: number): DatasetManifest {
  return {
    formatVersion: 2,
    dataset: 'accounts',
    current: 3,
    versions: [
      { version: 2, file: 'v2.parquet', rows: 1, createdAt: '', pipeline: 'p', runId: 'r2' },
      { version: 3, file: 'v3.parquet', rows, createdAt: '', pipeline: 'p', runId: 'r3' },
    ],
  };
}

describe('chooseDuckDbThreads', () => {
  it('gives one thread to a run of small files only', () => {
    expect(chooseDuckDbThreads({ pipeline: s3, selected: files(1000, 80), state: {} })).toBe(1);
    expect(chooseDuckDbThreads({ pipeline: s3, selected: files(1, SMALL_RUN_FILE_BYTES), state: {} })).toBe(
      1,
    );
  });

  it('keeps the default for a large file, many bytes in all, or nothing to fetch', () => {
    const big = [...files(10, 80), { size: SMALL_RUN_FILE_BYTES + 1 }];
    expect(chooseDuckDbThreads({ pipeline: s3, selected: big, state: {} })).toBeUndefined();
    const many = files(Math.floor(SMALL_RUN_TOTAL_BYTES / SMALL_RUN_FILE_BYTES) + 1, SMALL_RUN_FILE_BYTES);
    expect(chooseDuckDbThreads({ pipeline: s3, selected: many, state: {} })).toBeUndefined();
    expect(chooseDuckDbThreads({ pipeline: s3, selected: [], state: {} })).toBeUndefined();
  });

  it('keeps the default for a dataset source', () => {
    const pipeline = { source: { kind: 'dataset' as const } };
    expect(chooseDuckDbThreads({ pipeline, selected: files(3, 80), state: {} })).toBeUndefined();
  });

  it('keeps the default when the diff snapshot or a dataset the run touches is large', () => {
    const diff = { ...s3, diff: { key: ['id'] } };
    const snapshot = (rows: number) => ({ snapshot: { file: 's.parquet', rows, key: ['id'] } });
    const small = files(3, 80);
    expect(
      chooseDuckDbThreads({ pipeline: diff, selected: small, state: snapshot(SMALL_RUN_STATE_ROWS) }),
    ).toBe(1);
    expect(
      chooseDuckDbThreads({ pipeline: diff, selected: small, state: snapshot(SMALL_RUN_STATE_ROWS + 1) }),
    ).toBeUndefined();
    const datasets = (rows: number) => ({ manifests: new Map([['accounts', manifest(rows)]]) });
    expect(chooseDuckDbThreads({ pipeline: s3, selected: small, state: {}, datasets: datasets(10) })).toBe(1);
    expect(
      chooseDuckDbThreads({
        pipeline: s3,
        selected: small,
        state: {},
        datasets: datasets(SMALL_RUN_STATE_ROWS + 1),
      }),
    ).toBeUndefined();
  });
});
