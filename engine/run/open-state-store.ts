/**
 * The state store a project configures: `state: {kind: local, directory}` today; the S3 backend
 * plugs in here with its own BlobStore.
 */
import { relative } from 'node:path';
import type { Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { LocalBlobStore } from '../state/local-blob-store.js';
import { StateStore } from '../state/state-store.js';

export function openStateStore(project: Project): StateStore {
  const state = project.state;
  if (state.kind !== 'local') {
    throw new FerryError('NOT_SUPPORTED_YET', 'The s3 state backend is not supported yet.', {
      hint: 'Use state: {kind: local}.',
    });
  }
  // Messages name state paths as people see them from the project directory (state/pipelines/…).
  const shown = relative(project.directory, state.directory) || '.';
  return new StateStore(
    new LocalBlobStore(state.directory, shown.startsWith('..') ? state.directory : shown),
  );
}
