/**
 * `ferry plan`: runs every read-only step for real (listing, fetching, loading, mapping, diffing and
 * writing output files into a temp dir) and reports what `apply` would do. Writes nothing.
 */
import { runConfigReviewCommand } from '../review-config-command.js';
import { RUN_OPTIONS, runProjectCommand } from '../run-project-command.js';
import type { CommandSpec } from '../command.js';

export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'Show what apply would do: files, row counts, diff, output keys (a dry run that writes nothing).',
  usage:
    'ferry plan [--pipeline NAME…] [--format text|markdown|json] [--detailed-exitcode] [--show-sql] [--out FILE]\n' +
    '       ferry plan --offline [--base REF] [--pipeline NAME…] [--format text|markdown|json] [--detailed-exitcode]',
  description:
    'Reads sources and state for real, so the counts are exact. Markdown output is made for a pull-request\n' +
    'comment; JSON output is versioned (format_version).\n' +
    'With --offline it needs no credentials and touches no S3: it shows the configuration changes only,\n' +
    'against the last applied configuration in state (S3 state: read with the state connection), or with\n' +
    '--base against a git ref (pull-request CI).',
  options: {
    ...RUN_OPTIONS,
    'detailed-exitcode': {
      type: 'boolean',
      description: 'Exit 2 when there is work to do, 0 when there is none.',
    },
    offline: {
      type: 'boolean',
      description: 'Configuration changes only, against state; no credentials, no S3 calls.',
    },
    base: {
      type: 'string',
      description: 'With --offline (implied): compare against the project at this git ref, e.g. origin/main.',
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
    'ferry plan --offline --base origin/main --format markdown > config-review.md',
  ],
  run: (context) =>
    context.values['offline'] === true || typeof context.values['base'] === 'string'
      ? runConfigReviewCommand(context)
      : runProjectCommand(context, 'plan'),
};
