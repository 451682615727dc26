/** Each test gets its own temp dir and a sandboxed DuckDB session on it; both are gone afterwards. */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import {
  createDuckDbSession,
  type CreateDuckDbSessionOptions,
  type DuckDbSession,
} from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { FerryError } from '../../../engine/errors/ferry-error.js';

export interface DuckDbTestSession {
  dir: string;
  session: DuckDbSession;
  /** Writes a file in the temp dir and returns its absolute path. */
  write(name: string, content: string | Buffer): Promise<string>;
  close(): Promise<void>;
}

export async function openTestSession(): Promise<DuckDbTestSession> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-duckdb-'));
  const session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 2 });
  return {
    dir,
    session,
    async write(name, content) {
      const file = path.join(dir, name);
      await writeFile(file, content);
      return file;
    },
    async close() {
      session.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a file whose tests open sessions with options of their own: each test gets a fresh temp dir
 * (`dir()`), and `open(options)` opens a session in it; sessions and dir are gone after each test.
 */
export function useScratchSessions(prefix: string): {
  dir: () => string;
  open: (options?: Omit<CreateDuckDbSessionOptions, 'tempDir'>) => Promise<DuckDbSession>;
} {
  let dir = '';
  const opened: DuckDbSession[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const session of opened.splice(0)) session.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    async open(options = {}) {
      const session = await createDuckDbSession({ ...options, tempDir: dir });
      opened.push(session);
      return session;
    },
  };
}

/** Runs `action` and returns the FerryError it throws; fails the test if it does not throw one. */
export async function ferryErrorOf(action: () => Promise<unknown>): Promise<FerryError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a FerryError, but nothing was thrown');
}

/** Whether a table exists in the session (main or temp schema). */
export async function tableExists(session: DuckDbSession, table: string): Promise<boolean> {
  const rows = await session.all(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${quoteLiteral(table)}`,
  );
  return Number(rows[0]?.['n']) > 0;
}
