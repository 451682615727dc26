/**
 * Loads the project for `ferry serve` with the same loader as every command (loadProject), and
 * names the configuration: a revision (SHA-256 of the configuration files as read) and the git
 * commit of the checkout, so each run can say which configuration it used.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DEFAULT_PIPELINE_GLOBS } from '../config/normalize-project.js';
import { hasErrors, type Problem } from '../errors/problem.js';
import { findFiles } from '../project/find-files.js';
import { loadProject } from '../project/load-project.js';
import type { ServeConfig } from './run-one.js';
import { readGitCommit } from './read-git-commit.js';

export interface LoadServeConfigOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Relative to cwd. */
  projectFile: string;
  now: Date;
}

export type LoadedServeConfig =
  | { ok: true; config: ServeConfig; warnings: Problem[] }
  | { ok: false; problems: Problem[]; revision: string };

export async function loadServeConfig(options: LoadServeConfigOptions): Promise<LoadedServeConfig> {
  const loaded = loadProject({ cwd: options.cwd, env: options.env, projectFile: options.projectFile });
  const revision = fingerprintSources(loaded.sources);
  if (hasErrors(loaded.problems) || !loaded.project) {
    return { ok: false, problems: loaded.problems.filter((p) => p.severity === 'error'), revision };
  }
  const gitCommit = await readGitCommit(loaded.project.directory);
  return {
    ok: true,
    config: {
      project: loaded.project,
      pipelines: loaded.pipelines,
      revision,
      ...(gitCommit ? { gitCommit } : {}),
      loadedAt: options.now,
    },
    warnings: loaded.problems,
  };
}

/** SHA-256 (first 16 hex digits) of the configuration files: display path and text of each. */
export function fingerprintSources(sources: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const path of [...sources.keys()].sort()) hash.update(`${path}\0${sources.get(path) ?? ''}\0`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The configuration files as they are on disk now (the project file and the pipeline files its
 * globs select), keyed like loadProject's `sources`, so a fingerprint of them equals the revision
 * the same files would load as. Unreadable files count as empty: the loader reports them.
 */
export function readConfigSources(options: {
  cwd: string;
  projectFile: string;
  pipelineGlobs: readonly string[] | undefined;
}): Map<string, string> {
  const projectAbs = resolve(options.cwd, options.projectFile);
  const projectDir = resolve(projectAbs, '..');
  const display = (abs: string) => {
    const rel = relative(options.cwd, abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const sources = new Map<string, string>();
  const read = (abs: string) => {
    try {
      sources.set(display(abs), readFileSync(abs, 'utf8'));
    } catch {
      sources.set(display(abs), '');
    }
  };
  read(projectAbs);
  for (const file of findFiles(projectDir, options.pipelineGlobs ?? DEFAULT_PIPELINE_GLOBS))
    read(join(projectDir, file));
  return sources;
}
