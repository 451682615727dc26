/**
 * What the load step's batch tests share (load-csv-batch.test.ts, load-json-batch.test.ts): the step
 * run over files written where fetch would leave them, with the batch path on or off, and everything
 * it leaves behind in a comparable form; and a seeded generator for their generated mixes.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from '../../../engine/config/model.js';
import { createDuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { isFerryError } from '../../../engine/errors/ferry-error.js';
import { executeLoadStep } from '../../../engine/steps/load-step.js';
import { CREATE_REJECTED_ROWS_TABLE, REJECTED_ROWS_TABLE } from '../../../engine/steps/rejected-rows.js';
import type { StepContext } from '../../../engine/steps/step-context.js';

export type SourceFormat = Extract<Pipeline['source'], { kind: 's3' }>['format'];

export interface SourceFile {
  key: string;
  body: string | Buffer;
}

const dirs: string[] = [];

/** Removes the temp dirs of every run so far (call in afterAll). */
export async function removeLoadDirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/**
 * Runs the load step over `files` with `format`; `batchTablePrefix` names the batch path's tables
 * (`batched` says whether it kept one). `keepBytes`: each file's bytes ride along as the fetch step
 * keeps small files' (FetchedFile.bytes), so the step need not read them again; `'only'`: the files
 * are not written either, as the fetch step leaves small NDJSON and CSV files
 * (FetchedFile.inMemoryOnly), and `filesOnDisk` says which the step wrote.
 */
export async function runLoadStep(
  files: readonly SourceFile[],
  format: SourceFormat,
  options: { together: boolean; batchTablePrefix: string; keepBytes?: boolean | 'only' },
) {
  const tempDir = await mkdtemp(join(tmpdir(), 'ferry-load-batch-'));
  dirs.push(tempDir);
  const session = await createDuckDbSession({ tempDir });
  try {
    await session.run(CREATE_REJECTED_ROWS_TABLE);
    const fetched = [];
    for (const [i, file] of files.entries()) {
      const path = join(tempDir, `in-${String(i).padStart(4, '0')}`);
      if (options.keepBytes !== 'only') await writeFile(path, file.body);
      const bytes =
        options.keepBytes === true
          ? { bytes: Buffer.from(file.body) }
          : options.keepBytes === 'only'
            ? { bytes: Buffer.from(file.body), inMemoryOnly: true as const }
            : {};
      fetched.push({
        candidate: { key: file.key },
        path,
        sha256: '',
        size: Buffer.byteLength(file.body),
        ...bytes,
      });
    }
    const context = {
      mode: 'apply',
      pipeline: { name: 'p', source: { kind: 's3', bucket: 'b', compression: 'auto', format } },
      session,
      fetched,
      sourceColumns: [],
      counts: { rowsRead: 0, rowsRejected: 0 },
      rejects: [],
      warnings: [],
      sql: [],
    } as unknown as StepContext;
    let error: { code: string; message: string } | undefined;
    let rows: unknown[] = [];
    let types: unknown[] = [];
    try {
      await executeLoadStep(
        context,
        { kind: 'load', format: format.kind, table: 'source' },
        { together: options.together },
      );
      rows = await session.all('SELECT * FROM source ORDER BY _ferry_row');
      types = await session.all(
        "SELECT column_name, column_type FROM (DESCRIBE source) WHERE column_name NOT LIKE '\\_ferry%' ESCAPE '\\' ORDER BY 1",
      );
    } catch (caught) {
      if (!isFerryError(caught)) throw caught;
      error = { code: caught.code, message: caught.message };
    }
    const prefix = options.batchTablePrefix;
    const tables = await session.all(
      `SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '${prefix}') OR table_name LIKE 'raw_%'`,
    );
    return {
      outcome: {
        error,
        rows,
        types,
        columns: context.sourceColumns,
        loadedFiles: context.loadedFiles,
        counts: context.counts,
        rejects: context.rejects,
        warnings: context.warnings,
        rejectedRows: await session.all(`SELECT * FROM ${REJECTED_ROWS_TABLE} ORDER BY file, line`),
      },
      batched: tables.some((t) => (t['table_name'] as string).startsWith(prefix)),
      filesOnDisk: (await readdir(tempDir)).filter((name) => name.startsWith('in-')).sort(),
      perFileTables: tables.filter((t) => (t['table_name'] as string).startsWith('raw_')).length,
    };
  } finally {
    session.close();
  }
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
