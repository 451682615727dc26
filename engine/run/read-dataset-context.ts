/**
 * The datasets a run reads or writes, with their manifests read once at the start so the whole run
 * sees one version of each. During `plan`, versions that earlier pipelines would create are laid
 * over the committed ones, so readers are planned against what `apply` will give them.
 */
import type { Pipeline, Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { DatasetStore } from '../state/dataset-store.js';
import type { LocalStateStore } from '../state/local-state-store.js';
import type { PipelineState } from '../state/pipeline-state.js';
import type { DatasetContext } from '../steps/dataset-context.js';

/** A dataset version a plan would create: its Parquet file (absolute path) and number. */
export interface DatasetOverlay {
  file: string;
  version: number;
  rows: number;
}

/** Manifests of every dataset the pipeline touches, read once so the run sees one version of each. */
export async function readDatasetContext(
  pipeline: Pipeline,
  project: Project,
  store: LocalStateStore,
  state: PipelineState,
  overlays: ReadonlyMap<string, DatasetOverlay> | undefined,
): Promise<DatasetContext | undefined> {
  const names = new Set<string>();
  if (pipeline.source.kind === 'dataset') pipeline.source.datasets.forEach((d) => names.add(d));
  if (pipeline.sink.kind === 'dataset') names.add(pipeline.sink.dataset);
  for (const relation of Object.values(pipeline.mapping?.relations ?? {})) names.add(relation.dataset);
  if (names.size === 0) return undefined;
  const datasets = new DatasetStore(store.directory);
  const manifests = new Map<string, Awaited<ReturnType<DatasetStore['readManifest']>>>();
  for (const name of names) {
    if (!project.datasets[name])
      throw new FerryError('CONFIG_UNKNOWN_DATASET', `Unknown dataset "${name}".`, {
        context: { pipeline: pipeline.name },
      });
    const manifest = await datasets.readManifest(name);
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
                file: overlay.file,
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
    store: datasets,
    manifests,
    watermarks: { ...(state.exportWatermarks ?? {}) },
    nextWatermarks: {},
  };
}
