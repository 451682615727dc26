/**
 * What a dataset export's files are made from: the pipeline's configuration, the definitions of the
 * datasets it reads and of their segments (membership columns and segment filters), and the dataset
 * versions it would read. Two runs with the same fingerprint write the same rows, so a run whose
 * fingerprint matches the last successful one's has nothing to write (plans converge after apply).
 */
import { createHash } from 'node:crypto';
import type { Pipeline, Project } from '../config/model.js';
import { configFingerprint } from './diff-config.js';

/** The fingerprint of an export's inputs; undefined for pipelines that are not dataset → S3 exports. */
export function exportFingerprint(
  pipeline: Pipeline,
  project: Project,
  /** Dataset → the version the run reads (null: never written), for every dataset the run touches. */
  versions: ReadonlyMap<string, number | null>,
): string | undefined {
  if (pipeline.source.kind !== 'dataset' || pipeline.sink.kind !== 's3') return undefined;
  const names = [...versions.keys()].sort();
  const datasets = names.map((name) => {
    const dataset = project.datasets[name];
    const definition = dataset ? { ...dataset, origin: undefined } : { name };
    return { ...definition, version: versions.get(name) ?? null };
  });
  const segments = Object.values(project.segments)
    .filter((segment) => versions.has(segment.dataset))
    .map(({ name, dataset, where }) => ({ name, dataset, where }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([configFingerprint(pipeline), datasets, segments]))
    .digest('hex');
}

/**
 * Whether an export has nothing to write: its inputs are those of the last successful run, or (since
 * last run) no dataset it reads has a version past the one it last exported. `always_write` writes anyway.
 */
export function isExportUpToDate(input: {
  pipeline: Pipeline;
  fingerprint: string | undefined;
  lastFingerprint: string | undefined;
  versions: ReadonlyMap<string, number | null>;
  watermarks: Readonly<Record<string, number>>;
}): boolean {
  const { pipeline, fingerprint } = input;
  if (fingerprint === undefined || pipeline.source.kind !== 'dataset') return false;
  if (pipeline.sink.kind !== 's3' || pipeline.sink.alwaysWrite === true) return false;
  if (fingerprint === input.lastFingerprint) return true;
  return (
    pipeline.source.sinceLastRun &&
    pipeline.source.datasets.every((name) => {
      const version = input.versions.get(name);
      return version !== undefined && version !== null && input.watermarks[name] === version;
    })
  );
}
