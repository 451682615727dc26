/**
 * `ferry plan --offline`: what a pull request changes in the configuration, without credentials or
 * any S3 call. Compares the normalized configuration (secret fields stay references, and so does
 * every setting written with a reference) with a base:
 * the configuration each pipeline was last applied with (state), or the project at a git ref
 * (`--base origin/main`). Pure: snapshots in, review out.
 */
import type { ProjectGraph } from './compile-graph.js';
import type { Project } from '../config/model.js';
import { restoreReferences } from '../config/restore-references.js';
import { diffConfig } from './diff-config.js';
import type { ConfigChange } from './plan-model.js';

export const CONFIG_REVIEW_FORMAT_VERSION = 1;

export type ReviewBase = { kind: 'state' } | { kind: 'git'; ref: string };

export interface PipelineReview {
  pipeline: string;
  /** added: not in the base (with state: never applied); removed: in the base only. */
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  changes: ConfigChange[];
}

export interface ConfigReview {
  formatVersion: number;
  base: ReviewBase;
  /** ferry.yaml changes (connections, datasets, segments, defaults, state); git base only. */
  project: ConfigChange[];
  pipelines: PipelineReview[];
}

export interface ConfigSide {
  /** Normalized project snapshot; undefined when the base does not say (state). */
  project?: Record<string, unknown>;
  /** Pipeline name → normalized snapshot (diff-config's configSnapshot). */
  pipelines: ReadonlyMap<string, unknown>;
  /** The project as a graph (compile-graph.ts), when this side knows the whole project. */
  graph?: ProjectGraph;
}

/**
 * ferry.yaml as compared: no file locations, paths relative to the project directory, settings
 * written with a reference shown as the reference.
 */
export function projectSnapshot(project: Project): Record<string, unknown> {
  const strip = <T extends { origin: unknown }>(items: Record<string, T>) =>
    Object.fromEntries(Object.entries(items).map(([name, { origin: _origin, ...rest }]) => [name, rest]));
  const state =
    project.state.kind === 'local'
      ? { kind: 'local', directory: relativeTo(project.directory, project.state.directory) }
      : project.state;
  const snapshot = JSON.parse(
    JSON.stringify({
      connections: strip(project.connections),
      state,
      datasets: strip(project.datasets),
      segments: strip(project.segments),
      defaults: project.defaults,
      pipelines: project.pipelineGlobs,
      references: project.references,
    }),
  ) as Record<string, unknown>;
  return restoreReferences(snapshot, project.resolvedReferences ?? []);
}

function relativeTo(base: string, path: string): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

export function reviewConfig(input: {
  base: ReviewBase;
  before: ConfigSide;
  after: ConfigSide;
}): ConfigReview {
  const { before, after } = input;
  const names = [...new Set([...before.pipelines.keys(), ...after.pipelines.keys()])].sort();
  const pipelines = names.map((name): PipelineReview => {
    const a = before.pipelines.get(name);
    const b = after.pipelines.get(name);
    if (a === undefined) return { pipeline: name, change: 'added', changes: [] };
    if (b === undefined) return { pipeline: name, change: 'removed', changes: [] };
    const changes = diffConfig(a, b);
    return { pipeline: name, change: changes.length ? 'changed' : 'unchanged', changes };
  });
  return {
    formatVersion: CONFIG_REVIEW_FORMAT_VERSION,
    base: input.base,
    project: before.project && after.project ? diffConfig(before.project, after.project) : [],
    pipelines,
  };
}

export function reviewHasChanges(review: ConfigReview): boolean {
  return review.project.length > 0 || review.pipelines.some((p) => p.change !== 'unchanged');
}
