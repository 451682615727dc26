/**
 * Loads a ferry project from disk: finds ferry.yaml and the pipeline files, reads them, resolves
 * non-secret references from the environment and files, and runs the pure config checks
 * (schema → normalize → cross-field rules). All problems come back together, sorted and capped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { MAX_PROBLEMS, sortProblems, type Problem } from '../errors/problem.js';
import { checkConfigFile, getSecretKeys, type CheckedConfigFile } from '../config/check-config-file.js';
import { checkConfigRules } from '../config/check-config-rules.js';
import type { ResolvedReference } from '../config/interpolate-references.js';
import { locatePointer } from '../config/locate-pointer.js';
import type { Pipeline, Project } from '../config/model.js';
import { normalizePipelineFile } from '../config/normalize-pipeline.js';
import { parseYamlFile } from '../config/parse-yaml-file.js';
import { readReferencePolicy } from '../config/reference-policy.js';
import { restoreReferencesInText } from '../config/restore-references.js';
import { DEFAULT_PIPELINE_GLOBS, normalizeProject } from '../config/normalize-project.js';
import { createReferenceResolver } from './create-reference-resolver.js';
import { findYamlFiles } from './find-files.js';
import { findPipelineFiles } from './find-pipeline-files.js';
import { checkChecksSql } from './check-checks-sql.js';
import { checkDeclaredTypes } from './check-declared-types.js';
import { checkSinkFormatRules } from '../config/check-sink-format-rules.js';

export interface LoadProjectOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Project file, relative to cwd. Default ferry.yaml. */
  projectFile?: string;
  /** Explicit pipeline files or directories (ferry validate paths…). */
  paths?: readonly string[];
}

export interface LoadedProject {
  project: Project | undefined;
  projectPath: string | undefined;
  pipelines: Pipeline[];
  problems: Problem[];
  /** Problems left out beyond MAX_PROBLEMS. */
  omitted: number;
  /** Display path → text, for code frames. */
  sources: Map<string, string>;
  files: string[];
}

const PROJECT_NAMES = new Set(['ferry.yaml', 'ferry.yml']);

export function loadProject(options: LoadProjectOptions): LoadedProject {
  const { cwd } = options;
  const display = (abs: string) => {
    const rel = relative(cwd, abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const problems: Problem[] = [];
  const sources = new Map<string, string>();

  // Which files: the project file, then pipeline files.
  let projectAbs: string | undefined = resolve(cwd, options.projectFile ?? 'ferry.yaml');
  const pipelineAbs: string[] = [];
  for (const path of options.paths ?? []) {
    const abs = resolve(cwd, path);
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(abs, { throwIfNoEntry: false });
    } catch {
      stat = undefined; // ENOTDIR, ELOOP, EACCES: as good as missing for validate
    }
    if (!stat) {
      problems.push({
        code: 'CONFIG_PATH_NOT_FOUND',
        severity: 'error',
        message: `${path} does not exist.`,
        hint: 'Pass pipeline files or directories that exist, relative to the current directory.',
      });
    } else if (stat.isDirectory()) {
      const inner = findYamlFiles(abs).map((f) => join(abs, f));
      const projectInside = inner.find((f) => PROJECT_NAMES.has(basename(f)) && dirname(f) === abs);
      if (projectInside) projectAbs = projectInside;
      pipelineAbs.push(...inner.filter((f) => f !== projectInside));
    } else if (PROJECT_NAMES.has(basename(abs))) {
      projectAbs = abs;
    } else {
      pipelineAbs.push(abs);
    }
  }
  if (projectAbs && !existsSync(projectAbs)) {
    if (!options.paths?.length || options.projectFile !== 'ferry.yaml') {
      problems.push({
        code: 'CONFIG_NO_PROJECT',
        severity: options.paths?.length ? 'warning' : 'error',
        message: `No project file at ${display(projectAbs)}.`,
        hint: options.paths?.length
          ? 'Connections, datasets and segments that pipelines refer to cannot be checked without it; pass --project.'
          : 'Run ferry in the directory that holds ferry.yaml, or pass --project PATH.',
      });
    } else {
      problems.push({
        code: 'CONFIG_NO_PROJECT',
        severity: 'warning',
        message: `No ferry.yaml in ${display(cwd) || '.'}; references to connections, datasets and segments are not checked.`,
        hint: 'Run ferry in the directory that holds ferry.yaml, or pass --project PATH.',
      });
    }
    projectAbs = undefined;
  }
  const projectDir = projectAbs ? dirname(projectAbs) : cwd;

  // What references may read comes from ferry.yaml, so it is known before ferry.yaml is checked.
  const resolverFor = (rawProject: unknown) =>
    createReferenceResolver({
      projectDir,
      env: options.env,
      policy: readReferencePolicy(rawProject, getSecretKeys()),
    });
  let resolveReference = resolverFor(undefined);
  const read = (abs: string, kind: 'project' | 'pipeline'): CheckedConfigFile | undefined => {
    const path = display(abs);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (error) {
      problems.push({
        code: 'CONFIG_READ_FAILED',
        severity: 'error',
        message: `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
        at: { file: path, line: 1, col: 1 },
      });
      return undefined;
    }
    sources.set(path, text);
    // ferry.yaml is parsed once: its policy for references is read before its references resolve.
    const parsed = kind === 'project' ? parseYamlFile({ path, text }) : undefined;
    if (parsed) resolveReference = resolverFor(parsed.value);
    const checked = checkConfigFile({ path, text }, kind, {
      resolve: resolveReference,
      ...(parsed ? { parsed } : {}),
    });
    problems.push(...checked.problems.map((p) => showReferences(p, checked.resolvedReferences)));
    return checked;
  };

  const files: string[] = [];
  let project: Project | undefined;
  const projectChecked = projectAbs ? read(projectAbs, 'project') : undefined;
  if (projectAbs) files.push(display(projectAbs));
  if (projectChecked?.valid) {
    project = {
      ...normalizeProject(projectChecked.value, { file: projectChecked.file.path, directory: projectDir }),
      resolvedReferences: projectChecked.resolvedReferences,
    };
  }
  if (!options.paths?.length && projectAbs) {
    // Even when ferry.yaml has problems, its pipeline files are checked too (all problems in one pass).
    const written = rawPipelineGlobs(projectChecked?.value);
    const globs = written ?? DEFAULT_PIPELINE_GLOBS;
    const writtenIn = written !== undefined ? projectChecked : undefined;
    const found = findPipelineFiles({ root: projectDir, globs, writtenIn });
    problems.push(...found.problems);
    pipelineAbs.push(...found.files.map((f) => join(projectDir, f)));
  }

  const pipelines: Pipeline[] = [];
  const checkedByFile = new Map<string, CheckedConfigFile>();
  if (projectChecked) checkedByFile.set(projectChecked.file.path, projectChecked);
  for (const abs of [...new Set(pipelineAbs)].sort()) {
    files.push(display(abs));
    const checked = read(abs, 'pipeline');
    if (!checked) continue;
    checkedByFile.set(checked.file.path, checked);
    if (checked.valid) {
      pipelines.push(
        ...normalizePipelineFile(checked.value, { file: checked.file.path, path: abs, project }).map(
          (pipeline) => withResolvedReferences(pipeline, checked.resolvedReferences),
        ),
      );
    }
  }

  const issues = [
    ...checkConfigRules({ project, pipelines }),
    ...checkDeclaredTypes({ project, pipelines }),
    ...checkSinkFormatRules(pipelines),
    ...checkChecksSql(pipelines),
  ];
  for (const issue of issues) {
    const checked = checkedByFile.get(issue.file);
    const { file, pointer, target, ...rest } = issue;
    const shown = showReferences(rest, checked?.resolvedReferences ?? []);
    problems.push({
      ...shown,
      pointer,
      at:
        checked?.doc !== undefined
          ? locatePointer(checked.doc, checked.lineCounter, file, pointer, target ?? 'value')
          : { file, line: 1, col: 1 },
    });
  }

  const sorted = sortProblems(problems);
  return {
    project,
    projectPath: projectAbs ? display(projectAbs) : undefined,
    pipelines,
    problems: sorted.slice(0, MAX_PROBLEMS),
    omitted: Math.max(0, sorted.length - MAX_PROBLEMS),
    sources,
    files,
  };
}

/**
 * The pipeline with the references resolved in its part of the file, for snapshots to show them
 * instead of their values. Its texts that exist only to be shown (description, schedule as written)
 * show the references themselves.
 */
function withResolvedReferences(pipeline: Pipeline, resolved: readonly ResolvedReference[]): Pipeline {
  const prefix = pipeline.origin.pointer;
  const own = resolved.filter((r) => r.pointer.startsWith(`${prefix}/`));
  if (!own.length) return pipeline;
  const { description, schedule } = pipeline;
  return {
    ...pipeline,
    ...(description !== undefined ? { description: restoreReferencesInText(description, own) } : {}),
    ...(schedule
      ? { schedule: { ...schedule, description: restoreReferencesInText(schedule.description, own) } }
      : {}),
    origin: { ...pipeline.origin, resolvedReferences: own },
  };
}

/** A problem's message and hint name a resolved value by its reference. */
function showReferences<T extends { message: string; hint?: string }>(
  problem: T,
  resolved: readonly ResolvedReference[],
): T {
  if (!resolved.length) return problem;
  return {
    ...problem,
    message: restoreReferencesInText(problem.message, resolved),
    ...(problem.hint !== undefined ? { hint: restoreReferencesInText(problem.hint, resolved) } : {}),
  };
}

function rawPipelineGlobs(value: unknown): string[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const globs = (value as Record<string, unknown>)['pipelines'];
  return Array.isArray(globs) && globs.every((g) => typeof g === 'string') ? globs : undefined;
}
