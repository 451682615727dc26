/**
 * ferry's only way to open DuckDB. The database is in memory and sandboxed before any data is read:
 * no extension installs or autoloads, file access limited to the run's temp directory, spilling inside
 * it, a memory cap, and then the configuration is locked so nothing later (including SQL built from
 * vendor data) can loosen it. See RELIABILITY.md, "Keep DuckDB off the network".
 *
 * The node API runs every statement of a string; `run` and `all` refuse more than one, and every
 * prepared statement and connection is released in `finally`.
 *
 * Limits (docs/limits.md): DuckDB's spill files stay under `tempDiskBytes` (its own
 * `max_temp_directory_size`, set before the lock) and a statement that runs longer than
 * `queryTimeoutMs` is interrupted; both fail with a code that names the limit to raise and, when the
 * statement reads a file named with `nameFile`, the object it came from.
 *
 * DuckDB's module (a native library) is loaded on first use, not with this file: `preloadDuckDb`
 * starts loading it while a run waits on S3 (listing), so plan and apply do not wait for both in turn.
 */

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type * as DuckDbApi from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, JS } from '@duckdb/node-api';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { databaseFileExceeded, duckDbLimitError, type StatementLimits } from './duckdb-limit-error.js';
import { quoteLiteral, quoteStringList } from './sql.js';
import { wrapDuckDbError } from './wrap-duckdb-error.js';

/** One result row: column name → value (BIGINT as bigint, VARCHAR as string, NULL as null). */
export type DuckDbRow = Record<string, JS>;

export interface DuckDbSession {
  /** The raw connection, for the node API features the session does not wrap. Do not close it. */
  readonly connection: DuckDBConnection;
  /** The only directory DuckDB may read or write (absolute). */
  readonly tempDir: string;
  /** Runs exactly one statement and discards its result. */
  run(sql: string): Promise<void>;
  /** Runs exactly one statement and returns its rows as objects. */
  all(sql: string): Promise<DuckDbRow[]>;
  /**
   * Names a local file for people (`s3://bucket/key`): a statement over the temp-disk budget or the
   * time limit that reads it (or a sibling ferry made from it) names that object in its error.
   */
  nameFile(path: string, name: string): void;
  /** Releases the connection and the database. Safe to call more than once. */
  close(): void;
}

export interface CreateDuckDbSessionOptions {
  /** The run's temp directory; DuckDB may touch nothing outside it. Must exist. */
  tempDir: string;
  /** DuckDB `memory_limit`, e.g. `'1GB'`. Default `'640MiB'` (limits.memory's default). */
  memoryLimit?: string;
  /** DuckDB `threads`; DuckDB's default (all cores) when absent. */
  threads?: number;
  /** Most bytes DuckDB may spill to the temp dir (`limits.temp_disk_bytes`). Default 20 GiB. */
  tempDiskBytes?: number;
  /** Longest one statement may run before it is interrupted (`limits.query_timeout`). Default 30 min. */
  queryTimeoutMs?: number;
  /** The pipeline the session runs for, named in limit errors. */
  pipeline?: string;
  /**
   * A database file in tempDir (a file name, e.g. `run.duckdb`) instead of an in-memory database:
   * for runs whose input is many times `memoryLimit` (choose-duckdb-storage.ts). Held to tempDiskBytes
   * after every statement, as the spill is by DuckDB.
   */
  databaseFile?: string;
}

/** Mirrors DEFAULT_LIMITS.memoryBytes in config/normalize-limits.ts (session-limits.test.ts keeps them in step). */
const DEFAULT_MEMORY_LIMIT = '640MiB';
/** Mirror DEFAULT_LIMITS in config/normalize-limits.ts (a unit test keeps them in step). */
export const DEFAULT_SESSION_LIMITS = { tempDiskBytes: 20 * 2 ** 30, queryTimeoutMs: 30 * 60_000 } as const;
/** Spill files go here, inside the temp dir, so `allowed_directories` covers them. */
const SPILL_DIR_NAME = 'duckdb-spill';

/**
 * The sandbox, in order. `temp_directory` must be set before `enable_external_access=false` (DuckDB
 * refuses to change it afterwards), and `lock_configuration` comes last.
 */
function sandboxStatements(
  tempDir: string,
  memoryLimit: string,
  threads: number | undefined,
  tempDiskBytes: number,
): string[] {
  return [
    'SET autoinstall_known_extensions = false',
    'SET autoload_known_extensions = false',
    `SET temp_directory = ${quoteLiteral(path.join(tempDir, SPILL_DIR_NAME))}`,
    // DuckDB's default is 90% of the free disk: a decompression bomb spilled 31.7 GB before failing.
    `SET max_temp_directory_size = ${quoteLiteral(`${tempDiskBytes}B`)}`,
    `SET memory_limit = ${quoteLiteral(memoryLimit)}`,
    ...(threads === undefined ? [] : [`SET threads = ${threads}`]),
    // load-csv relies on CREATE TABLE AS keeping file order (the header record is rowid 0).
    'SET preserve_insertion_order = true',
    // DuckDB defaults to the host's zone: TIMESTAMPTZ text, casts and timezone() would then differ
    // between machines. Outputs must not depend on where ferry runs.
    "SET TimeZone = 'UTC'",
    `SET allowed_directories = ${quoteStringList([tempDir])}`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

async function assertDirectory(tempDir: string): Promise<void> {
  const info = await stat(tempDir).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new FerryError('DUCKDB_ERROR', `The DuckDB temp directory ${tempDir} does not exist.`, {
      context: { operation: 'duckdb', file: tempDir },
      hint: 'Create the run temp directory before opening a DuckDB session.',
    });
  }
}

let duckDbModule: Promise<typeof DuckDbApi> | undefined;

/** Starts loading DuckDB's module (once); createDuckDbSession awaits the same load. */
export function preloadDuckDb(): Promise<typeof DuckDbApi> {
  duckDbModule ??= import('@duckdb/node-api');
  return duckDbModule;
}

/**
 * Opens an in-memory DuckDB database sandboxed to `tempDir` and returns a session on it.
 * Throws FerryError `DUCKDB_ERROR` if the directory is missing or a setting is refused.
 */
export async function createDuckDbSession(options: CreateDuckDbSessionOptions): Promise<DuckDbSession> {
  const tempDir = path.resolve(options.tempDir);
  const threads = options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new FerryError('DUCKDB_ERROR', `DuckDB threads must be a positive integer, got ${threads}.`);
  }
  const limits: StatementLimits = {
    tempDiskBytes: options.tempDiskBytes ?? DEFAULT_SESSION_LIMITS.tempDiskBytes,
    queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_SESSION_LIMITS.queryTimeoutMs,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new FerryError('DUCKDB_ERROR', `DuckDB ${name} must be a positive integer, got ${value}.`);
    }
  }
  await assertDirectory(tempDir);
  const databasePath =
    options.databaseFile === undefined ? undefined : databaseFileIn(tempDir, options.databaseFile);

  let instance: DuckDBInstance;
  try {
    const { DuckDBInstance } = await preloadDuckDb();
    instance = await DuckDBInstance.create(databasePath ?? ':memory:');
  } catch (error) {
    throw wrapDuckDbError(error, 'OPEN');
  }
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
  } catch (error) {
    instance.closeSync();
    throw wrapDuckDbError(error, 'CONNECT');
  }

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      connection.disconnectSync();
    } finally {
      instance.closeSync();
    }
  };

  const fileNames = new Map<string, string>();
  const guard: StatementGuard = {
    limits,
    memoryLimit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    pipeline: options.pipeline,
    objectOf: (sql) => objectNameIn(sql, fileNames),
    databasePath,
  };
  const session: DuckDbSession = {
    connection,
    tempDir,
    async run(sql) {
      await runOne(connection, sql, false, guard);
    },
    async all(sql) {
      return runOne(connection, sql, true, guard);
    },
    nameFile(file, name) {
      fileNames.set(path.resolve(file), name);
    },
    close,
  };

  try {
    for (const statement of sandboxStatements(
      tempDir,
      options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      threads,
      limits.tempDiskBytes,
    )) {
      await session.run(statement);
    }
  } catch (error) {
    close();
    throw error;
  }
  return session;
}

interface StatementGuard {
  limits: StatementLimits;
  memoryLimit: string;
  pipeline: string | undefined;
  objectOf: (sql: string) => string | undefined;
  /** The session's database file, when it has one (its size is checked after each statement). */
  databasePath: string | undefined;
}

/** The database file and its write-ahead log together must stay within tempDiskBytes. */
async function checkDatabaseFileSize(
  databasePath: string,
  sql: string,
  guard: StatementGuard,
): Promise<void> {
  const sizes = await Promise.all(
    [databasePath, `${databasePath}.wal`].map((file) =>
      stat(file).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  const bytes = sizes.reduce((a, b) => a + b, 0);
  if (bytes <= guard.limits.tempDiskBytes) return;
  throw databaseFileExceeded({
    sql,
    limits: guard.limits,
    pipeline: guard.pipeline,
    objectName: guard.objectOf(sql),
    bytes,
  });
}

/** The database file's path: a plain file name inside tempDir, nothing else. */
function databaseFileIn(tempDir: string, name: string): string {
  if (name !== path.basename(name) || name === '' || name.startsWith('.')) {
    throw new FerryError(
      'DUCKDB_ERROR',
      `The DuckDB database file must be a file name in the temp dir, got ${name}.`,
    );
  }
  return path.join(tempDir, name);
}

/**
 * The object a statement reads: a named file's path as an SQL literal, or a sibling ferry derived
 * from it (`<dir>/.<name>.<token>…`, e.g. the checked NDJSON lines).
 */
function objectNameIn(sql: string, fileNames: ReadonlyMap<string, string>): string | undefined {
  for (const [file, name] of fileNames) {
    const sibling = path.join(path.dirname(file), `.${path.basename(file)}.`);
    if (sql.includes(`${file}'`) || sql.includes(sibling)) return name;
  }
  return undefined;
}

async function runOne(
  connection: DuckDBConnection,
  sql: string,
  read: boolean,
  guard: StatementGuard,
): Promise<DuckDbRow[]> {
  let prepared;
  // interrupt() stops whatever the connection runs; the timer is cleared before the next statement
  // can start (both run on this event loop), and an interrupt that finds nothing running is a no-op.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, guard.limits.queryTimeoutMs);
  timer.unref();
  try {
    const extracted = await connection.extractStatements(sql);
    if (extracted.count !== 1) {
      throw new FerryError(
        'DUCKDB_ERROR',
        `ferry runs one DuckDB statement per call, got ${extracted.count}.`,
        { context: { operation: 'duckdb', statementCount: extracted.count } },
      );
    }
    prepared = await extracted.prepare(0);
    let rows: DuckDbRow[] = [];
    if (!read) await prepared.run();
    else rows = (await prepared.runAndReadAll()).getRowObjectsJS();
    if (guard.databasePath !== undefined) {
      await checkDatabaseFileSize(guard.databasePath, sql, guard);
    }
    return rows;
  } catch (error) {
    if (isFerryError(error)) throw error;
    const limitError = duckDbLimitError({
      error,
      sql,
      timedOut,
      limits: guard.limits,
      objectName: guard.objectOf(sql),
      pipeline: guard.pipeline,
      memoryLimit: guard.memoryLimit,
    });
    throw limitError ?? wrapDuckDbError(error, sql);
  } finally {
    clearTimeout(timer);
    prepared?.destroySync();
  }
}
