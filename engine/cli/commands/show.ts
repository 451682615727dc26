/**
 * `ferry show PLANFILE`: a plan saved with `ferry plan --out FILE`, rendered as text, Markdown or
 * JSON. Reads that file only: no project, no credentials, no S3 — so a plan made where the
 * credentials are can be reviewed anywhere (a pull-request comment from a CI artifact).
 */
import { ExitCode } from '../../errors/exit-codes.js';
import { UsageError, type CommandSpec } from '../command.js';
import { PLAN_OUTPUT_OPTIONS, renderPlanOutput } from '../render-plan-output.js';
import { readSavedPlan } from '../run-project-command.js';

export const showCommand: CommandSpec = {
  name: 'show',
  summary:
    'Render a plan saved with `ferry plan --out FILE` as text, Markdown or JSON (no credentials, no S3).',
  usage: 'ferry show PLANFILE [--format text|markdown|json] [--show-sql] [--verbose]',
  description:
    'Reads the saved plan only; a file that is not a plan this ferry wrote is refused with PLAN_UNREADABLE,\n' +
    'naming the file, the line and column, and what is wrong.',
  options: {
    ...PLAN_OUTPUT_OPTIONS,
  },
  examples: ['ferry plan --out plan.json && ferry show plan.json', 'ferry show plan.json --format markdown'],
  run: async ({ values, positionals, cwd, output }) => {
    const [file, ...extra] = positionals;
    if (file === undefined) throw new UsageError('name the saved plan: ferry show PLANFILE.');
    if (extra.length) throw new UsageError(`one plan file at a time (got ${positionals.length}).`);
    const plan = await readSavedPlan(cwd, file);
    output.stdout(
      renderPlanOutput(plan, {
        format: String(values['format']),
        verb: 'Plan',
        color: output.color,
        showSql: values['show-sql'] === true,
        verbose: values['verbose'] === true,
        outcome: { command: 'show', exitCode: ExitCode.ok, problems: [] },
      }),
    );
    return ExitCode.ok;
  },
};
