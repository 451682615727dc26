/**
 * `ferry validate [paths…]`: every problem in one pass, as text with code frames, JSON, or GitHub
 * annotations. Exit 0 valid (warnings allowed), 3 invalid.
 */
import { ExitCode } from '../../errors/exit-codes.js';
import { hasErrors } from '../../errors/problem.js';
import { loadProject } from '../../project/load-project.js';
import {
  renderProblemsGithub,
  renderProblemsJson,
  renderProblemsText,
} from '../../report/render-problems.js';
import { withOutcome } from '../../report/render-outcome-json.js';
import type { CommandSpec } from '../command.js';

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'Check the project file and pipeline files against the schema and cross-field rules.',
  usage: 'ferry validate [paths…] [--project FILE] [--format text|json|github]',
  description:
    'With no paths, validates ferry.yaml in the current directory and the pipeline files it lists.\n' +
    'Paths may be pipeline files or directories of them; ferry.yaml is still read for connections,\n' +
    'datasets and segments that pipelines refer to. Needs no credentials and touches no network.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file to use.', default: 'ferry.yaml' },
    format: {
      type: 'string',
      short: 'f',
      description: 'Output format.',
      choices: ['text', 'json', 'github'],
      default: 'text',
    },
    quiet: { type: 'boolean', short: 'q', description: 'Print nothing when the configuration is valid.' },
  },
  examples: ['ferry validate', 'ferry validate pipelines/', 'ferry validate --format github'],
  run: async ({ values, positionals, cwd, env, output }) => {
    const loaded = loadProject({
      cwd,
      env,
      projectFile: String(values['project']),
      ...(positionals.length ? { paths: positionals } : {}),
    });
    const format = String(values['format']);
    const invalid = hasErrors(loaded.problems);
    if (format === 'json') {
      const document = JSON.parse(renderProblemsJson(loaded.problems, { omitted: loaded.omitted })) as Record<
        string,
        unknown
      >;
      const outcome = {
        command: 'validate',
        exitCode: invalid ? ExitCode.invalidConfig : ExitCode.ok,
        problems: loaded.problems,
      };
      output.stdout(JSON.stringify(withOutcome(document, outcome), null, 2) + '\n');
    } else if (format === 'github') {
      output.stdout(renderProblemsGithub(loaded.problems));
    } else if (loaded.problems.length) {
      const text = renderProblemsText(loaded.problems, {
        sources: loaded.sources,
        color: (invalid ? output.stderrColor : undefined) ?? output.color,
        omitted: loaded.omitted,
      });
      if (invalid) output.stderr(text);
      else output.stdout(text);
    }
    if (!invalid && format === 'text' && values['quiet'] !== true) {
      const n = loaded.pipelines.length;
      output.stdout(
        `✔ ${loaded.files.length} file${loaded.files.length === 1 ? '' : 's'} valid: ` +
          `${n} pipeline${n === 1 ? '' : 's'}${loaded.project ? `, project ${loaded.projectPath ?? ''}` : ''}.\n`,
      );
    }
    return Promise.resolve(invalid ? ExitCode.invalidConfig : ExitCode.ok);
  },
};
