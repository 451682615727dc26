/**
 * The state store a project configures: `state: {kind: local, directory}` (a directory) or
 * `state: {kind: s3, connection, bucket, prefix}` (objects in a bucket, through the run's S3 access,
 * so the state connection's secrets are resolved where every other client's are).
 */
import { relative } from 'node:path';
import type { Project } from '../config/model.js';
import { LocalBlobStore } from '../state/local-blob-store.js';
import { S3BlobStore } from '../state/s3-blob-store.js';
import { StateStore } from '../state/state-store.js';
import type { S3Access } from '../steps/step-context.js';

export interface OpenStateStoreOptions {
  /** The run's S3 access (clients made on first use); needed for `state: {kind: s3}`. */
  s3?: (connection: string) => S3Access;
}

export function openStateStore(project: Project, options: OpenStateStoreOptions = {}): StateStore {
  const state = project.state;
  if (state.kind === 's3') {
    if (!options.s3) throw new Error('openStateStore: the s3 state backend needs the run’s S3 access');
    const access = options.s3(state.connection);
    return new StateStore(
      new S3BlobStore({
        client: access.client,
        connection: state.connection,
        bucket: state.bucket,
        prefix: state.prefix,
        bodyIdleTimeoutMs: access.settings.bodyIdleTimeoutMs,
      }),
      { lock: state.lock, lockTtlMs: state.lockTtlMs },
    );
  }
  // Messages name state paths as people see them from the project directory (state/pipelines/…).
  const shown = relative(project.directory, state.directory) || '.';
  return new StateStore(
    new LocalBlobStore(state.directory, shown.startsWith('..') ? state.directory : shown),
  );
}
