/**
 * Generated configuration goes through the same checks as a file on disk (parse → references →
 * schema → normalize → cross-field rules) before ferry offers it: a proposal that would not pass
 * `ferry validate` is a bug, reported as such. Pure (the schemas are package assets).
 */
import { checkConfigFile } from '../config/check-config-file.js';
import { checkConfigRules } from '../config/check-config-rules.js';
import type { ReferenceResolver } from '../config/interpolate-references.js';
import type { Pipeline, Project } from '../config/model.js';
import { normalizePipelineFile } from '../config/normalize-pipeline.js';
import { normalizeProject } from '../config/normalize-project.js';
import type { Problem } from '../errors/problem.js';

export interface CheckedGeneratedProject {
  project?: Project;
  problems: Problem[];
}

export interface CheckedGeneratedPipelines {
  pipelines: Pipeline[];
  problems: Problem[];
}

function ruleProblems(project: Project | undefined, pipelines: readonly Pipeline[]): Problem[] {
  return checkConfigRules({ project, pipelines }).map(({ file, pointer, target: _target, ...rest }) => ({
    ...rest,
    pointer,
    at: { file, line: 1, col: 1 },
  }));
}

/** A generated ferry.yaml, normalized as if it were read from `directory`. */
export function checkGeneratedProject(
  text: string,
  options: { file: string; directory: string; resolve: ReferenceResolver },
): CheckedGeneratedProject {
  const checked = checkConfigFile({ path: options.file, text }, 'project', { resolve: options.resolve });
  if (!checked.valid) return { problems: checked.problems };
  const project = normalizeProject(checked.value, { file: options.file, directory: options.directory });
  const problems = [...checked.problems, ...ruleProblems(project, [])];
  return { project, problems };
}

/**
 * A generated pipeline file, checked against the project and the pipelines it already has (names
 * must stay unique). Only the problems of the new file are returned.
 */
export function checkGeneratedPipelines(
  text: string,
  options: { file: string; project: Project; existing: readonly Pipeline[]; resolve: ReferenceResolver },
): CheckedGeneratedPipelines {
  const checked = checkConfigFile({ path: options.file, text }, 'pipeline', { resolve: options.resolve });
  if (!checked.valid) return { pipelines: [], problems: checked.problems };
  const pipelines = normalizePipelineFile(checked.value, { file: options.file, project: options.project });
  const problems = ruleProblems(options.project, [...options.existing, ...pipelines]).filter(
    (p) => p.at?.file === options.file,
  );
  return { pipelines, problems: [...checked.problems, ...problems] };
}
