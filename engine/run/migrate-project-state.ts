/**
 * `ferry state migrate --to s3 [--from DIR]`: the project file already says `state: {kind: s3, …}`
 * (that is where state goes from now on); the local directory it used before (default `state`) is
 * copied there, every blob verified by reading it back. The local copy is left as it was.
 */
import { relative, resolve } from 'node:path';
import type { Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { createRunTempDir } from '../io/temp-dir.js';
import type { ConditionalWriteCheck } from '../state/blob-store.js';
import { LocalBlobStore } from '../state/local-blob-store.js';
import { migrateState, type MigratedBlob, type MigrationReport } from '../state/migrate-state.js';
import type { StateStore } from '../state/state-store.js';
import { createRunId } from './run-pipeline.js';

export interface ProjectMigration extends MigrationReport {
  from: string;
  to: string;
  /** Whether the new backend can be locked (apply refuses otherwise, unless unsafe-single-writer). */
  target: ConditionalWriteCheck;
}

export async function migrateProjectState(input: {
  project: Project;
  /** The project's configured (target) state. */
  store: StateStore;
  /** The local state directory to copy, relative to the project directory. */
  fromDirectory: string;
  force: boolean;
  onCopied?: (blob: MigratedBlob) => void;
}): Promise<ProjectMigration> {
  const { project, store } = input;
  if (project.state.kind !== 's3') {
    throw new FerryError(
      'STATE_MIGRATE_NOT_S3',
      `${project.file} keeps state locally (state: {kind: local}); there is nothing to migrate to.`,
      {
        hint: 'Set `state: {kind: s3, connection: …, bucket: …, prefix: …}` in the project file first; then `ferry state migrate --to s3 --from DIR` copies the local state there.',
      },
    );
  }
  const directory = resolve(project.directory, input.fromDirectory);
  const shown = relative(project.directory, directory) || '.';
  const from = new LocalBlobStore(directory, shown.startsWith('..') ? directory : shown);
  const scratch = await createRunTempDir({ runId: `migrate-${createRunId(new Date())}` });
  try {
    const report = await migrateState({
      from,
      to: store.blobs,
      force: input.force,
      scratchDir: scratch.path,
      ...(input.onCopied ? { onCopied: input.onCopied } : {}),
    });
    // Only now: a refused migration leaves the target as it was (the probe writes its record).
    const target = await store.blobs.checkConditionalWrites();
    return { ...report, from: from.location, to: store.location, target };
  } finally {
    await scratch.cleanup();
  }
}
