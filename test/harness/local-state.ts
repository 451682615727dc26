/** The local state backend of a test project, opened the way ferry opens it. */
import { join } from 'node:path';
import type { ReadManifest } from '../../engine/state/dataset-store.js';
import { LocalBlobStore } from '../../engine/state/local-blob-store.js';
import { StateStore } from '../../engine/state/state-store.js';

export function openLocalState(stateDir: string): StateStore {
  return new StateStore(new LocalBlobStore(stateDir, 'state'));
}

/** Absolute path of a dataset's current version file, or undefined when the dataset is empty. */
export function currentVersionPath(stateDir: string, manifest: ReadManifest): string | undefined {
  const entry = manifest.versions.find((v) => v.version === manifest.current);
  return entry ? join(stateDir, 'datasets', manifest.dataset, entry.file) : undefined;
}
