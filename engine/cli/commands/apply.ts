/** `ferry apply`: one run of the pipelines, committing state only after outputs are verified. */
import { RUN_OPTIONS, runProjectCommand } from '../run-project-command.js';
import type { CommandSpec } from '../command.js';

export const applyCommand: CommandSpec = {
  name: 'apply',
  summary: 'Run the pipelines once: fetch, load, map, diff, write, upload and verify, then commit state.',
  usage:
    'ferry apply [--pipeline NAME…] [--plan FILE] [--lock-timeout DURATION] [--format text|markdown|json]\n' +
    '            [--log-format text|json|none]',
  description:
    'State is committed only after every output is uploaded and verified; a failed run leaves state\n' +
    'untouched, and a retry of the same inputs writes the same object keys (no duplicates).\n' +
    'Progress (each run and step as it ends, warnings with their codes) goes to stderr as it happens;\n' +
    'the report goes to stdout at the end.',
  options: {
    ...RUN_OPTIONS,
    plan: {
      type: 'string',
      description:
        'Apply a plan saved with `ferry plan --out FILE`; refuses (exit 5) if sources, state or config changed since.',
    },
    'log-format': {
      type: 'string',
      description:
        'Progress lines on stderr: readable text, JSON lines (as `ferry serve` logs), or none. Default: text on a terminal, none in CI (CI=true), with --quiet or when stderr is not a terminal.',
      choices: ['text', 'json', 'none'],
    },
    'lock-timeout': {
      type: 'string',
      description:
        'While another run holds a pipeline’s or dataset’s lock, keep trying this long (30s, 15m) before giving up with exit 4; each wait is reported on stderr.',
      default: '0s',
    },
  },
  examples: ['ferry apply', 'ferry apply --pipeline vendor-accounts-csv', 'ferry apply --lock-timeout 15m'],
  run: (context) => runProjectCommand(context, 'apply'),
};
