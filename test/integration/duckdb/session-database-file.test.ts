/**
 * A run whose input is many times limits.memory keeps its tables in a database file in its temp dir
 * (choose-duckdb-storage.ts): at 100M rows the in-memory database failed with Out of Memory after
 * `CREATE TABLE current`, the file-backed one passed. The file is held to temp_disk_bytes after each
 * statement (DuckDB has no limit of its own on it), and the sandbox is the same.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import {
  chooseDuckDbStorage,
  DATABASE_FILE_FACTOR,
  DATABASE_FILE_NAME,
} from '../../../engine/run/choose-duckdb-storage.js';
import { ferryErrorOf, useScratchSessions } from './duckdb-test-session.js';

const scratch = useScratchSessions('ferry-session-file-');

describe('chooseDuckDbStorage', () => {
  it('gives a database file only to a run whose listed input is over the factor times memory', () => {
    const memoryBytes = 640 * 2 ** 20;
    const limit = DATABASE_FILE_FACTOR * memoryBytes;
    expect(chooseDuckDbStorage({ selected: [{ size: limit }], memoryBytes })).toEqual({});
    expect(chooseDuckDbStorage({ selected: [{ size: limit - 1 }, { size: 2 }], memoryBytes })).toEqual({
      databaseFile: DATABASE_FILE_NAME,
    });
    expect(chooseDuckDbStorage({ selected: [], memoryBytes })).toEqual({});
  });
});

describe('a session with a database file', () => {
  it('keeps its tables in the file, inside the temp dir, with the same sandbox', async () => {
    const session = await scratch.open({ databaseFile: DATABASE_FILE_NAME });
    await session.run(
      'CREATE TABLE t AS SELECT range AS id, md5(CAST(range AS VARCHAR)) AS h FROM range(300000)',
    );
    await session.run('CHECKPOINT');
    expect((await stat(path.join(scratch.dir(), DATABASE_FILE_NAME))).size).toBeGreaterThan(1024 * 1024);
    expect(await session.all('SELECT count(*) AS n FROM t')).toEqual([{ n: 300000n }]);
    const outside = path.join(os.tmpdir(), 'ferry-outside.csv');
    const error = await ferryErrorOf(() => session.run(`COPY t TO ${quoteLiteral(outside)} (FORMAT csv)`));
    expect(error.code).toBe('DUCKDB_ERROR');
    expect(existsSync(outside)).toBe(false);
  });

  it('fails a statement that grows the file past tempDiskBytes: RUN_TEMP_DISK_EXCEEDED', async () => {
    const tempDiskBytes = 2 * 2 ** 20;
    const session = await scratch.open({
      databaseFile: DATABASE_FILE_NAME,
      tempDiskBytes,
      pipeline: 'big-one',
    });
    await session.run('CREATE TABLE small AS SELECT 1 AS id');
    const error = await ferryErrorOf(() =>
      session.run(
        'CREATE TABLE big AS SELECT range AS id, md5(CAST(range AS VARCHAR)) || md5(CAST(range + 1 AS VARCHAR)) AS h FROM range(2000000)',
      ),
    );
    expect(error.code).toBe('RUN_TEMP_DISK_EXCEEDED');
    expect(error.message).toContain('pipeline big-one');
    expect(error.message).toContain("run's database file");
    expect(error.context).toMatchObject({ limit: 'temp_disk_bytes', maxBytes: tempDiskBytes });
  });

  it('takes a plain file name only', async () => {
    for (const name of ['../run.duckdb', 'sub/run.duckdb', '.hidden', '']) {
      const error = await ferryErrorOf(() => scratch.open({ databaseFile: name }));
      expect(error.code).toBe('DUCKDB_ERROR');
    }
  });
});
