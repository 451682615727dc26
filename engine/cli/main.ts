/**
 * ferry's command-line entry point. The only place that maps outcomes to exit codes and sets
 * process.exitCode; everything below returns data or throws FerryError.
 */
import { parseArgs } from 'node:util';
import { ExitCode } from '../errors/exit-codes.js';
import { isFerryError } from '../errors/ferry-error.js';
import { FERRY_VERSION } from '../ferry-version.js';
import { renderCommandHelp, UsageError, type CommandEntry, type CommandSpec } from './command.js';
import { PLAN_FORMAT_VERSION } from '../plan/plan-model.js';
import { problemOfError, renderOutcomeJson, type OutcomeProblem } from '../report/render-outcome-json.js';
import { createConsoleOutput, createRedactingOutput, type Output } from './output.js';

/**
 * Every command, loaded only when it runs (or its --help is asked for): `ferry --help` and a command
 * that needs neither S3 nor DuckDB never load the AWS SDK or DuckDB. `summary` is what `ferry --help`
 * lists and must equal the command's own (test/unit/cli/command-index.test.ts checks).
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'validate',
    summary: 'Check the project file and pipeline files against the schema and cross-field rules.',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  {
    name: 'plan',
    summary:
      'Show what apply would do: files, row counts, diff, output keys (a dry run that writes nothing).',
    load: async () => (await import('./commands/plan.js')).planCommand,
  },
  {
    name: 'apply',
    summary: 'Run the pipelines once: fetch, load, map, diff, write, upload and verify, then commit state.',
    load: async () => (await import('./commands/apply.js')).applyCommand,
  },
  {
    name: 'show',
    summary:
      'Render a plan saved with `ferry plan --out FILE` as text, Markdown or JSON (no credentials, no S3).',
    load: async () => (await import('./commands/show.js')).showCommand,
  },
  {
    name: 'serve',
    summary: 'Run the pipelines on their schedules until stopped (the container entry point).',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'state',
    summary:
      'Inspect state (list, show), roll a dataset back, rebuild a lost manifest, remove a stale lock, or move local state to S3.',
    load: async () => (await import('./commands/state.js')).stateCommand,
  },
  {
    name: 'policy',
    summary: 'Print the least-privilege IAM policy (or bucket / trust policy) for the configured pipelines.',
    load: async () => (await import('./commands/policy.js')).policyCommand,
  },
  {
    name: 'init',
    summary:
      'Scaffold a project: ferry.yaml with a connection, pipelines/, .gitignore, a GitHub Actions workflow.',
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  {
    name: 'discover',
    summary: 'List the files under an S3 prefix, group them into families and print starter pipeline YAML.',
    load: async () => (await import('./commands/discover.js')).discoverCommand,
  },
  {
    name: 'check',
    summary:
      'Test each connection: credentials, buckets, list/read (and with --write-test write) access, clock skew.',
    load: async () => (await import('./commands/check.js')).checkCommand,
  },
  {
    name: 'graph',
    summary: 'Print a Mermaid diagram of connections/buckets → pipelines → datasets → segments → sinks.',
    load: async () => (await import('./commands/graph.js')).graphCommand,
  },
  {
    name: 'render',
    summary:
      'Render deployment manifests: `ferry render kubernetes` writes one CronJob per scheduled pipeline.',
    load: async () => (await import('./commands/render.js')).renderCommand,
  },
];

/** ferry's version, from package.json. */
export const VERSION = FERRY_VERSION;

function renderMainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'ferry: declarative, GitOps-style sync of S3 data (YAML in git → DuckDB steps → S3).',
    '',
    'Usage: ferry <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `ferry <command> --help` for a command’s options. Every command takes --no-color;',
    'with --format json every outcome, failures included, is one JSON document on stdout.',
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 changes (--detailed-exitcode), 3 invalid config,',
    '            4 lock held, 5 stale plan, 64 usage error, 70 internal error,',
    '            130/143 stopped by SIGINT/SIGTERM (re-run to finish).',
    '',
  ].join('\n');
}

export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  output?: Output;
  /** Aborted to stop the run between steps (reason: the signal name). */
  signal?: AbortSignal;
}

/** Runs one CLI invocation and returns its exit code (no process exit; used by tests too). */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  // --no-color is understood by every command, anywhere on the line.
  const noColorFlag = argv.includes('--no-color');
  const args = argv.filter((arg) => arg !== '--no-color');
  const given = options.output
    ? noColorFlag
      ? { ...options.output, color: false, stderrColor: false }
      : options.output
    : undefined;
  const output = given ? createRedactingOutput(given) : createConsoleOutput(options.env, { noColorFlag });
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    output.stdout(target ? renderCommandHelp(await target.load()) : renderMainHelp());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    output.stdout(`${VERSION}\n`);
    return ExitCode.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    output.stderr(`ferry: unknown command "${name}".\n\n${renderMainHelp()}`);
    return ExitCode.usage;
  }
  const command = await entry.load();
  const json = asksForJson(command, rest);
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      output.stdout(renderCommandHelp(command));
      return ExitCode.ok;
    }
    const parsed = parseCommandArgs(command, rest);
    return await command.run({
      ...parsed,
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      output,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const exitCode = reportFailure(command, error, output);
    if (json) output.stdout(renderFailureJson(command, exitCode, error));
    return exitCode;
  }
}

/** A failure as text on stderr (always, for people and CI logs); returns its exit code. */
function reportFailure(command: CommandSpec, error: unknown, output: Output): ExitCode {
  if (error instanceof UsageError) {
    output.stderr(`ferry ${command.name}: ${error.message}\n\n${renderCommandHelp(command)}`);
    return ExitCode.usage;
  }
  if (isFerryError(error)) {
    const hint = error.hint ? `\n  hint: ${error.hint}` : '';
    output.stderr(`ferry ${command.name}: ${error.message} [${error.code}]${hint}\n`);
    return ExitCode.failure;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  output.stderr(
    `ferry ${command.name}: internal error — this is a bug in ferry, not in your configuration.\n` +
      `Please report it with the command you ran and this trace:\n${detail}\n`,
  );
  return ExitCode.internal;
}

/** The same failure as the JSON envelope on stdout (`--format json`). */
function renderFailureJson(command: CommandSpec, exitCode: ExitCode, error: unknown): string {
  const problem: OutcomeProblem = isFerryError(error)
    ? problemOfError(error)
    : error instanceof UsageError
      ? {
          code: 'USAGE_ERROR',
          severity: 'error',
          message: error.message,
          hint: `See \`ferry ${command.name} --help\`.`,
        }
      : {
          code: 'INTERNAL_ERROR',
          severity: 'error',
          message: `Internal error — a bug in ferry: ${error instanceof Error ? error.message : String(error)}`,
          hint: 'Report it with the command you ran; the trace is on stderr.',
        };
  return renderOutcomeJson({
    formatVersion: jsonFormatVersion(command),
    command: command.name,
    exitCode,
    problems: [problem],
  });
}

/** `--format json` / `--format=json` / `-f json`, for a command that has a json format. */
function asksForJson(command: CommandSpec, args: readonly string[]): boolean {
  if (!command.options['format']?.choices?.includes('json')) return false;
  return args.some(
    (arg, i) =>
      arg === '--format=json' ||
      arg === '-fjson' ||
      ((arg === '--format' || arg === '-f') && args[i + 1] === 'json'),
  );
}

/** The format_version of a command's JSON document: plan and apply write plans; the rest their format 1. */
function jsonFormatVersion(command: CommandSpec): number {
  return command.name === 'plan' || command.name === 'apply' || command.name === 'show'
    ? PLAN_FORMAT_VERSION
    : 1;
}

function parseCommandArgs(
  command: CommandSpec,
  args: readonly string[],
): Pick<Parameters<CommandSpec['run']>[0], 'values' | 'positionals'> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    options[key] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    const value = parsed.values[key] as string | boolean | string[] | undefined;
    if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
      throw new UsageError(`--${key} must be one of ${spec.choices.join(', ')} (got "${value}").`);
    }
    values[key] = value ?? spec.default;
  }
  return { values, positionals: parsed.positionals };
}

/**
 * Process entry: run and set the exit code (never process.exit, so output is flushed).
 *
 * SIGTERM (a container stopping) or SIGINT (Ctrl-C): the run stops before its next step, records the
 * failure, releases its locks and exits 143 / 130 with state untouched; a pipeline already uploading
 * finishes its upload and commit first, so no output is left without state. A second signal stops
 * at once (what a crash would do; the next run recovers).
 */
export async function main(argv: readonly string[]): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`ferry: ${signal} again, stopping now.\n`);
      process.exit(signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated);
    }
    process.stderr.write(
      `ferry: ${signal} received, stopping after the step in progress (send it again to stop at once).\n`,
    );
    controller.abort(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    process.exitCode = await runCli(argv, { signal: controller.signal });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
