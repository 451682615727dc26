/**
 * A full disk under the run's temp dir is its own error (duckdb-limit-error.ts), not a DuckDB error
 * whose hint says to report a ferry bug: a 100M-row dataset upsert filled the disk while spilling,
 * before limits.temp_disk_bytes was reached, and was reported that way.
 */
import { describe, expect, it } from 'vitest';
import { duckDbLimitError } from '../../../engine/duckdb/duckdb-limit-error.js';

const input = (message: string) => ({
  error: new Error(message),
  sql: "COPY next_version TO '/tmp/run/dataset-next.parquet' (FORMAT parquet)",
  timedOut: false,
  limits: { tempDiskBytes: 40 * 2 ** 30, queryTimeoutMs: 3_600_000 },
  objectName: undefined,
  pipeline: 'accounts',
  memoryLimit: '640MiB',
});

describe('duckDbLimitError', () => {
  it('a write that finds the disk full is RUN_DISK_FULL, naming the statement, pipeline and limit', () => {
    const error = duckDbLimitError(
      input(
        'IO Error: Could not write file "/tmp/run/duckdb-spill/duckdb_temp_storage_S160K-2.tmp": No space left on device',
      ),
    );
    expect(error?.code).toBe('RUN_DISK_FULL');
    expect(error?.message).toBe(
      "A DuckDB COPY query (pipeline accounts) could not write to the run's temp dir: its disk is full, before limits.temp_disk_bytes (40 GiB) was reached.",
    );
    expect(error?.hint).toMatch(/^Free space on the disk of the temp dir/);
  });

  it('another IO error is not a limit', () => {
    expect(
      duckDbLimitError(input('IO Error: Could not read file "/tmp/x": Permission denied')),
    ).toBeUndefined();
  });
});
