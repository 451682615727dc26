/**
 * Reading and writing test files with DuckDB in a scratch sandboxed session, independent of the
 * engine's own steps: to check what ferry wrote, and to make inputs (Parquet, compressed files).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbSession, type DuckDbRow } from '../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../engine/duckdb/sql.js';

/**
 * Runs one query over files: `files` are written into a temp dir and `$name` in the query becomes
 * the quoted path of the file `name`.
 */
export async function queryFiles(files: Record<string, Buffer>, query: string): Promise<DuckDbRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-read-'));
  try {
    let sql = query;
    // Longest names first, so `$main` does not eat the start of `$main_2`.
    for (const name of Object.keys(files).sort((a, b) => b.length - a.length)) {
      const path = join(dir, name);
      await writeFile(path, files[name] ?? Buffer.alloc(0));
      sql = sql.replaceAll(`$${name}`, quoteLiteral(path));
    }
    const session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 1 });
    try {
      return await session.all(sql);
    } finally {
      session.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `queryFiles` for one file, named `$path` in the query. */
export function queryFile(bytes: Buffer, fileName: string, query: string): Promise<DuckDbRow[]> {
  return queryFiles({ [fileName]: bytes }, query.replaceAll('$path', `$${fileName}`));
}

/** Writes a file with DuckDB `COPY (query) TO … (options)` and returns its bytes. */
export async function writeWithDuckDb(query: string, fileName: string, options: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-write-'));
  try {
    const path = join(dir, fileName);
    const session = await createDuckDbSession({ tempDir: dir, memoryLimit: '256MB', threads: 1 });
    try {
      await session.run(`COPY (${query}) TO ${quoteLiteral(path)} (${options})`);
    } finally {
      session.close();
    }
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
