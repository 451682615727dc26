/** The start of every command that needs a valid project: load it, or print its problems. */
import type { Pipeline, Project } from '../config/model.js';
import { hasErrors } from '../errors/problem.js';
import { loadProject, type LoadedProject } from '../project/load-project.js';
import { ExitCode } from '../errors/exit-codes.js';
import { renderOutcomeJson } from '../report/render-outcome-json.js';
import { renderProblemsText } from '../report/render-problems.js';
import type { CommandContext } from './command.js';

export type ValidProject = LoadedProject & { project: Project; pipelines: Pipeline[] };

/**
 * Loads the project named by `--project` (relative to the working directory). With problems, they
 * are printed to stderr with code frames and undefined comes back: exit `invalidConfig`.
 */
export function loadValidProject(
  context: Pick<CommandContext, 'values' | 'cwd' | 'env' | 'output'>,
  /** `--format json`: the problems also go to stdout as the outcome envelope of this command. */
  json?: { command: string; formatVersion: number },
): ValidProject | undefined {
  const { values, cwd, env, output } = context;
  const loaded = loadProject({ cwd, env, projectFile: String(values['project']) });
  if (hasErrors(loaded.problems) || !loaded.project) {
    output.stderr(
      renderProblemsText(loaded.problems, {
        sources: loaded.sources,
        color: output.stderrColor ?? output.color,
        omitted: loaded.omitted,
      }),
    );
    if (json) {
      output.stdout(
        renderOutcomeJson({ ...json, exitCode: ExitCode.invalidConfig, problems: loaded.problems }),
      );
    }
    return undefined;
  }
  return { ...loaded, project: loaded.project };
}
