/**
 * The DuckDB session's own limits, with real DuckDB: spilling stops at the temp-disk budget (DuckDB's
 * default is 90% of the free disk: a gzip bomb spilled 31.7 GB), and a statement that would run for
 * hours is interrupted at the time limit. Both errors name the object read and the limit to raise.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../engine/config/normalize-limits.js';
import { DEFAULT_SESSION_LIMITS } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { createGzipBomb } from '../../harness/gzip-bomb.js';
import { ferryErrorOf, useScratchSessions } from './duckdb-test-session.js';

const scratch = useScratchSessions('ferry-session-limits-');

const readBomb = (file: string) =>
  `CREATE TABLE source AS SELECT * FROM read_csv(${quoteLiteral(file)}, compression = 'gzip', ` +
  `auto_detect = false, header = true, columns = {'id': 'VARCHAR', 'name': 'VARCHAR', 'email': 'VARCHAR', 'plan': 'VARCHAR'})`;

describe('DuckDB session limits', () => {
  it('uses the project defaults when no limits are given', async () => {
    expect(DEFAULT_SESSION_LIMITS).toEqual({
      tempDiskBytes: DEFAULT_LIMITS.tempDiskBytes,
      queryTimeoutMs: DEFAULT_LIMITS.queryTimeoutMs,
    });
    const session = await scratch.open();
    const [row] = await session.all(
      `SELECT current_setting('max_temp_directory_size') AS size, current_setting('lock_configuration') AS locked, current_setting('memory_limit') AS memory`,
    );
    expect(row).toEqual({ size: '20.0 GiB', locked: true, memory: '640.0 MiB' });
    expect(DEFAULT_LIMITS.memoryBytes).toBe(640 * 2 ** 20);
  });

  it('stops spilling at tempDiskBytes: RUN_TEMP_DISK_EXCEEDED names the object and the limit', async () => {
    const tempDiskBytes = 24 * 2 ** 20;
    const session = await scratch.open({
      // 64MB is too little for the CSV reader's own buffers: DuckDB then fails to allocate before it
      // reaches the spill cap, and says so without naming max_temp_directory_size.
      memoryLimit: '128MB',
      threads: 1,
      tempDiskBytes,
      pipeline: 'vendor-accounts',
    });
    const file = path.join(scratch.dir(), 'in-0001');
    await writeFile(file, createGzipBomb('csv', 256 * 2 ** 20).body);
    session.nameFile(file, 's3://vendor/accounts.csv.gz');
    const error = await ferryErrorOf(() => session.run(readBomb(file)));
    expect(error.code).toBe('RUN_TEMP_DISK_EXCEEDED');
    expect(error.context).toMatchObject({
      pipeline: 'vendor-accounts',
      file: 's3://vendor/accounts.csv.gz',
      limit: 'temp_disk_bytes',
      maxBytes: tempDiskBytes,
    });
    expect(error.message).toContain('s3://vendor/accounts.csv.gz');
    expect(error.message).toContain('limits.temp_disk_bytes');
    // The session stays usable for the rest of the run (rejects export, cleanup).
    expect(await session.all('SELECT 42 AS x')).toEqual([{ x: 42 }]);
  });

  it('an allocation DuckDB cannot spill fails with RUN_MEMORY_EXCEEDED, naming limits.memory', async () => {
    const session = await scratch.open({
      // As a run sets it (execute-pipeline-steps.ts); the message gives it in MiB.
      memoryLimit: `${32 * 2 ** 20} bytes`,
      threads: 1,
      pipeline: 'vendor-accounts',
    });
    // One list of 20M BIGINTs (160 MB) is one value: DuckDB cannot spill part of it.
    const error = await ferryErrorOf(() =>
      session.all('SELECT len(list(i)) AS n FROM range(20000000) AS t(i)'),
    );
    expect(error.code).toBe('RUN_MEMORY_EXCEEDED');
    expect(error.context).toMatchObject({
      pipeline: 'vendor-accounts',
      limit: 'memory',
      memoryLimit: `${32 * 2 ** 20} bytes`,
    });
    expect(error.message).toContain('limits.memory (32.0 MiB)');
    expect(error.hint).toContain('Raise limits.memory');
    expect(await session.all('SELECT 42 AS x')).toEqual([{ x: 42 }]);
  });

  it('interrupts a statement at queryTimeoutMs: QUERY_TIMEOUT names the object and the limit', async () => {
    const session = await scratch.open({
      threads: 2,
      queryTimeoutMs: 1000,
    });
    const file = path.join(scratch.dir(), 'in-0001');
    await writeFile(file, 'id\n1\n2\n');
    session.nameFile(file, 's3://vendor/ids.csv');
    // Far more rows than any machine counts in a lifetime: only the interrupt can end it.
    const endless = `SELECT count(*) AS n FROM read_csv(${quoteLiteral(file)}), range(1000000000000000)`;
    const error = await ferryErrorOf(() => session.all(endless));
    expect(error.code).toBe('QUERY_TIMEOUT');
    expect(error.context).toMatchObject({
      file: 's3://vendor/ids.csv',
      limit: 'query_timeout',
      timeoutMs: 1000,
    });
    expect(error.message).toContain('limits.query_timeout (1s)');
    expect(await session.all('SELECT 42 AS x')).toEqual([{ x: 42 }]);
  });

  it('lets statements that finish in time run one after another under the same limit', async () => {
    const session = await scratch.open({
      threads: 2,
      queryTimeoutMs: 60_000,
    });
    for (let i = 0; i < 20; i++) expect(await session.all(`SELECT ${i} AS i`)).toEqual([{ i }]);
  });
});
