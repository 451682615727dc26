/**
 * The "before" side of a configuration review (`plan --offline`): each pipeline's configuration as
 * last applied (from state), or the whole project as it is at a git ref (`--base REF`, for pull
 * requests whose CI has no credentials). Nothing here connects to S3 but reading S3 state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Pipeline, Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { hasErrors } from '../errors/problem.js';
import { readGitTree } from '../io/read-git-tree.js';
import { compileGraph, type ProjectGraph } from '../plan/compile-graph.js';
import { configSnapshot } from '../plan/diff-config.js';
import { projectSnapshot, type ConfigSide } from '../plan/review-config.js';
import { loadProject } from '../project/load-project.js';
import { openStateStore } from './open-state-store.js';
import { createS3Access } from './run-project.js';

export function configSide(project: Project, pipelines: readonly Pipeline[]): ConfigSide {
  return {
    project: projectSnapshot(project),
    pipelines: new Map<string, unknown>(pipelines.map((p) => [p.name, configSnapshot(p)])),
    graph: compileGraph(project, pipelines),
  };
}

/**
 * The graph before and after, for a plan against state (which keeps each pipeline's applied
 * configuration, not the project's): both sides are drawn from configuration snapshots with today's
 * ferry.yaml, so only pipeline changes show. A pipeline never applied is new, unless it is disabled
 * (it never runs, so it never will be applied): then it counts as unchanged.
 */
export function graphsAgainstState(
  project: Project,
  pipelines: readonly Pipeline[],
  applied: ConfigSide,
): { before: ProjectGraph; after: ProjectGraph } {
  const current = pipelines.map((p) => ({ name: p.name, enabled: p.enabled, snapshot: configSnapshot(p) }));
  const names = new Set([...applied.pipelines.keys(), ...current.map((p) => p.name)]);
  const before: unknown[] = [];
  for (const name of [...names].sort()) {
    const was = applied.pipelines.get(name) ?? current.find((p) => p.name === name && !p.enabled)?.snapshot;
    if (was !== undefined) before.push(was);
  }
  // Snapshots have the normalized pipeline's shape (without its file location, which graphs do not use).
  const asPipelines = (snapshots: readonly unknown[]) => snapshots as Pipeline[];
  return {
    before: compileGraph(project, asPipelines(before)),
    after: compileGraph(project, asPipelines(current.map((p) => p.snapshot))),
  };
}

/**
 * Each pipeline's last applied configuration, as state recorded it. With `state: {kind: s3}` that
 * reads the state bucket (read-only credentials for the state connection are enough).
 */
export async function readAppliedConfigs(project: Project, env: NodeJS.ProcessEnv): Promise<ConfigSide> {
  const access = createS3Access(project, env);
  try {
    const store = openStateStore(project, { s3: access.s3 });
    const applied = new Map<string, unknown>();
    for (const name of await store.listPipelinesWithState()) {
      const { state } = await store.readPipelineState(name);
      if (state.appliedConfig !== undefined) applied.set(name, state.appliedConfig);
    }
    return { pipelines: applied };
  } finally {
    access.destroy();
  }
}

/** The project at a git ref, loaded like the working tree (its secret fields stay references). */
export async function readConfigAtRef(input: {
  project: Project;
  ref: string;
  cwd: string;
  projectFile: string;
  env: NodeJS.ProcessEnv;
}): Promise<ConfigSide> {
  const { project, ref } = input;
  const temp = await mkdtemp(join(tmpdir(), 'ferry-base-'));
  try {
    const dir = await readGitTree({ projectDir: project.directory, ref, target: temp });
    const loaded = loadProject({
      cwd: dir,
      env: input.env,
      projectFile: relative(project.directory, resolve(input.cwd, input.projectFile)),
    });
    if (hasErrors(loaded.problems) || !loaded.project) {
      const first = loaded.problems[0];
      throw new FerryError(
        'BASE_CONFIG_INVALID',
        `The configuration at ${ref} does not load (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}${first ? `; first: ${first.at ? `${ref}:${first.at.file}:${first.at.line}:${first.at.col} ` : ''}${first.code} ${first.message}` : ''}).`,
        { hint: `Compare against a ref whose configuration is valid, or run \`ferry validate\` on ${ref}.` },
      );
    }
    return configSide(loaded.project, loaded.pipelines);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
