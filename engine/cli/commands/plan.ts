/**
 * `ferry plan`: runs every read-only step for real (listing, fetching, loading, mapping, diffing and
 * writing output files into a temp dir) and reports what `apply` would do. Writes nothing.
 */
import { RUN_OPTIONS, runProjectCommand } from '../run-project-command.js';
import type { CommandSpec } from '../command.js';

export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'Show what apply would do: files, row counts, diff, output keys (a dry run that writes nothing).',
  usage:
    'ferry plan [--pipeline NAME…] [--format text|markdown|json] [--detailed-exitcode] [--show-sql] [--out FILE]',
  description:
    'Reads sources and state for real, so the counts are exact. Markdown output is made for a pull-request\n' +
    'comment; JSON output is versioned (format_version).',
  options: {
    ...RUN_OPTIONS,
    'detailed-exitcode': {
      type: 'boolean',
      description: 'Exit 2 when there is work to do, 0 when there is none.',
    },
    out: {
      type: 'string',
      short: 'o',
      description: 'Also save the plan as JSON, for `ferry apply --plan FILE`.',
    },
  },
  examples: [
    'ferry plan',
    'ferry plan --format markdown > plan.md',
    'ferry plan --pipeline vendor-accounts-csv --show-sql',
  ],
  run: (context) => runProjectCommand(context, 'plan'),
};
