/**
 * The datasets a run reads or writes, with their manifests read once at the start so the whole run
 * sees one version of each. During `plan`, versions that earlier pipelines would create are laid
 * over the committed ones, so readers are planned against what `apply` will give them.
 */
import { copyFile } from 'node:fs/promises';
import type { Pipeline, Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import type { ReadManifest } from '../state/dataset-store.js';
import type { PipelineState } from '../state/pipeline-state.js';
import type { StateStore } from '../state/state-store.js';
import type { DatasetContext } from '../steps/dataset-context.js';

/** A dataset version a plan would create: its Parquet file (a local path in the plan's temp dir) and number. */
export interface DatasetOverlay {
  file: string;
  version: number;
  rows: number;
}

/** Names of every dataset a pipeline reads, writes or relates to. */
export function datasetsOf(pipeline: Pipeline): Set<string> {
  const names = new Set<string>();
  if (pipeline.source.kind === 'dataset') pipeline.source.datasets.forEach((d) => names.add(d));
  if (pipeline.sink.kind === 'dataset') names.add(pipeline.sink.dataset);
  for (const relation of Object.values(pipeline.mapping?.relations ?? {})) names.add(relation.dataset);
  return names;
}

/** Manifests of every dataset the pipeline touches, read once so the run sees one version of each. */
export async function readDatasetContext(
  pipeline: Pipeline,
  project: Project,
  store: StateStore,
  state: PipelineState,
  overlays: ReadonlyMap<string, DatasetOverlay> | undefined,
): Promise<DatasetContext | undefined> {
  const names = datasetsOf(pipeline);
  if (names.size === 0) return undefined;
  const manifests = new Map<string, ReadManifest>();
  for (const name of names) {
    if (!project.datasets[name])
      throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${name}".`, {
        context: { pipeline: pipeline.name },
      });
    const manifest = await store.datasets.readManifest(name);
    checkManifestAgainstState(pipeline.name, name, manifest, state);
    const overlay = overlays?.get(name);
    manifests.set(
      name,
      overlay
        ? {
            ...manifest,
            current: overlay.version,
            versions: [
              ...manifest.versions,
              {
                version: overlay.version,
                file: '(plan)',
                rows: overlay.rows,
                createdAt: '',
                pipeline: '(plan)',
                runId: '(plan)',
              },
            ],
            parents: { ...(manifest.parents ?? {}), [String(overlay.version)]: manifest.current },
          }
        : manifest,
    );
  }
  return {
    manifests,
    fetchCurrent: async (dataset, localPath) => {
      const overlay = overlays?.get(dataset);
      if (overlay) {
        await copyFile(overlay.file, localPath);
        return true;
      }
      const manifest = manifests.get(dataset);
      if (!manifest) throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${dataset}".`);
      return (await store.datasets.fetchVersion(manifest, localPath)) !== undefined;
    },
    watermarks: { ...(state.exportWatermarks ?? {}) },
    nextWatermarks: {},
  };
}

/**
 * A dataset this pipeline has written must still have the version it made current (or a later one):
 * an empty or older manifest means the dataset lost data, and building on it would lose more.
 */
function checkManifestAgainstState(
  pipeline: string,
  dataset: string,
  manifest: ReadManifest,
  state: PipelineState,
): void {
  const written = state.datasetVersions?.[dataset];
  if (written === undefined) return;
  const highest = Math.max(
    0,
    ...manifest.versions.map((v) => v.version),
    ...Object.keys(manifest.parents ?? {}).map(Number),
  );
  if (highest >= written) return;
  throw new FerryError(
    manifest.blobVersion === undefined ? 'DATASET_MANIFEST_MISSING' : 'DATASET_MANIFEST_BEHIND',
    `Dataset "${dataset}" ${manifest.blobVersion === undefined ? 'has no manifest' : `has no version past ${highest}`}, but pipeline "${pipeline}" made version ${written} current.`,
    {
      context: { pipeline, dataset },
      hint: `The dataset's state was removed or replaced outside ferry. Restore it from a backup, or rebuild the manifest from the version files with \`ferry state repair ${dataset}\`.`,
    },
  );
}
