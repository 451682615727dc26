/**
 * `ferry init [DIR]`: scaffolds a project — ferry.yaml with one connection (keys as `${env:…}`),
 * pipelines/, a .gitignore for local state, schema modelines and the GitHub Actions workflow — and
 * validates it. `--demo` wires it to the demo S3 server of a ferry checkout (`npm run demo:server`,
 * which serves and seeds the sample files; s3rver and the sample data are development tools, so
 * they stay out of the shipped package) with two pipelines for its files. Never overwrites a file.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { schemaReference } from '../../discover/yaml-text.js';
import { ExitCode } from '../../errors/exit-codes.js';
import { FerryError } from '../../errors/ferry-error.js';
import { hasErrors } from '../../errors/problem.js';
import { loadProject } from '../../project/load-project.js';
import { renderProblemsText } from '../../report/render-problems.js';
import {
  DEMO_CONNECTION,
  renderProjectFiles,
  type ProjectFile,
} from '../../scaffold/render-project-files.js';
import { UsageError, type CommandContext, type CommandSpec } from '../command.js';
import {
  CONNECTION_DRAFT_FLAGS,
  CONNECTION_DRAFT_OPTIONS,
  connectionDraftFromFlags,
} from '../connection-draft.js';

type Outcome = 'created' | 'kept' | 'extended';

/** Writes a file unless it exists; a .gitignore without ferry's lines gets them appended. */
function writeProjectFile(dir: string, file: ProjectFile): Outcome {
  const path = join(dir, file.path);
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) {
    writeFileSync(path, file.text, { flag: 'wx' });
    return 'created';
  }
  if (file.path === '.gitignore' && !/^\/?state\/?$/m.test(readFileSync(path, 'utf8'))) {
    appendFileSync(path, `\n${file.text}`);
    return 'extended';
  }
  return 'kept';
}

function nextSteps(shown: string, demo: boolean): string[] {
  const cd = shown === '.' ? [] : [`  cd ${shown}`];
  if (demo) {
    return [
      'Next: start the demo S3 server from a ferry checkout (it serves and seeds the sample files):',
      '  npm run demo:server',
      'then, with the variables it prints exported:',
      ...cd,
      '  ferry check && ferry validate && ferry plan && ferry apply',
    ];
  }
  return [
    'Next:',
    ...cd,
    '  export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…   # or the variables your connection names',
    '  ferry check                                          # can ferry reach your buckets?',
    '  ferry discover s3://BUCKET/PREFIX --write            # pipelines for the files there',
    '  ferry validate && ferry plan',
    'Commit it, and every pull request gets its plan as a comment (.github/workflows/ferry.yml).',
  ];
}

function run(context: CommandContext): ExitCode {
  const { values, positionals, cwd, output } = context;
  if (positionals.length > 1) throw new UsageError('Give at most one directory.');
  const demo = values['demo'] === true;
  if (demo && CONNECTION_DRAFT_FLAGS.some((name) => values[name] !== undefined)) {
    throw new UsageError(
      '--demo writes the demo server\u2019s connection; leave out --endpoint, --region and the key flags.',
    );
  }
  const dir = resolve(cwd, positionals[0] ?? '.');
  const rel = relative(cwd, dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  for (const name of ['ferry.yaml', 'ferry.yml']) {
    if (existsSync(join(dir, name))) {
      throw new FerryError(
        'INIT_PROJECT_EXISTS',
        `${join(shown, name)} exists: ferry init never overwrites a project.`,
        {
          hint: 'Edit it, or run ferry init in an empty directory.',
        },
      );
    }
  }
  const name = typeof values['connection'] === 'string' ? values['connection'] : 'main';
  const connection = demo ? DEMO_CONNECTION : connectionDraftFromFlags(context, { name, staticKeys: true });
  const files = renderProjectFiles({
    connection,
    demo,
    schemas: {
      ferry: schemaReference(dir, 'ferry'),
      pipeline: schemaReference(join(dir, 'pipelines'), 'pipeline'),
    },
  });
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const file of files) {
    const outcome = writeProjectFile(dir, file);
    const verb =
      outcome === 'created'
        ? 'created'
        : outcome === 'extended'
          ? 'added ferry\u2019s lines to'
          : 'kept (it exists)';
    lines.push(`  ${verb.padEnd(24)} ${join(shown, file.path)}`);
  }
  // The project must validate as written; if it does not, that is ferry's bug, said as such.
  const loaded = loadProject({ cwd: dir, env: context.env });
  if (hasErrors(loaded.problems)) {
    output.stderr(
      `ferry init: the new project does not validate — a bug in ferry init; please report it:\n` +
        renderProblemsText(loaded.problems, { sources: loaded.sources, color: output.color }),
    );
    return ExitCode.internal;
  }
  output.stdout(
    [`Scaffolded a ferry project in ${shown}:`, ...lines, '', ...nextSteps(shown, demo), ''].join('\n'),
  );
  return ExitCode.ok;
}

export const initCommand: CommandSpec = {
  name: 'init',
  summary:
    'Scaffold a project: ferry.yaml with a connection, pipelines/, .gitignore, a GitHub Actions workflow.',
  usage:
    'ferry init [DIR] [--connection NAME] [--endpoint URL] [--region REGION] [--access-key-env NAME --secret-key-env NAME]\n       ferry init [DIR] --demo',
  description:
    'Writes ferry.yaml (one connection whose keys are ${env:…} references; AWS_ACCESS_KEY_ID and\n' +
    'AWS_SECRET_ACCESS_KEY unless you name others), pipelines/, a .gitignore that keeps local state out\n' +
    'of git, and .github/workflows/ferry.yml (validate, plan as a pull-request comment, apply on merge).\n' +
    'Files carry schema modelines for editor completion. Existing files are kept, never overwritten.\n' +
    'With --demo, the connection points at the demo S3 server of a ferry checkout (npm run demo:server)\n' +
    'and two pipelines read its sample files, so validate → plan → apply work at once.',
  options: {
    demo: { type: 'boolean', description: 'A project for the demo S3 server, with two pipelines.' },
    connection: { type: 'string', short: 'c', description: 'The connection\u2019s name.', default: 'main' },
    ...CONNECTION_DRAFT_OPTIONS,
  },
  examples: [
    'ferry init my-project',
    'ferry init --endpoint https://minio.example.com --access-key-env MINIO_KEY --secret-key-env MINIO_SECRET',
    'ferry init my-demo --demo',
  ],
  run: (context) => Promise.resolve(run(context)),
};
