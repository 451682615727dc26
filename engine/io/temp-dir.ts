/**
 * Each run gets its own temp directory; every local path a run uses (downloads, decrypted files, DuckDB
 * spill) lives under it and is chosen by ferry, never derived from an object key.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunTempDir {
  path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  cleanup: () => Promise<void>;
}

/** Creates `<root>/ferry-<runId>-XXXXXX` (root defaults to the OS temp dir). */
export async function createRunTempDir(options: { root?: string; runId: string }): Promise<RunTempDir> {
  // The run id is ours, but keep the name a single safe path segment whatever it contains.
  const safeRunId = options.runId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const path = await mkdtemp(join(options.root ?? tmpdir(), `ferry-${safeRunId}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
