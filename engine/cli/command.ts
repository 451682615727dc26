/**
 * Commands declared as data: name, summary, options, positionals, run. Parsing uses node:util's
 * strict parseArgs, so an unknown flag is a usage error (exit 64), never silently ignored.
 */
import type { ExitCode } from '../errors/exit-codes.js';
import type { Output } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
  default?: string | boolean;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  /** Examples shown in --help. */
  examples?: readonly string[];
  run(context: CommandContext): Promise<ExitCode>;
}

/**
 * A command as the entry point lists it: enough for `ferry --help`, and a loader for the rest. The
 * command's module (and everything it imports) is loaded only when the command runs or shows its help.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandSpec>;
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: Output;
  /** Aborted when the process is asked to stop (SIGTERM, SIGINT); the reason is the signal name. */
  signal?: AbortSignal;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function renderCommandHelp(command: CommandSpec): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  const entries = Object.entries(command.options);
  if (entries.length) {
    lines.push('', 'Options:');
    const labels = entries.map(([name, spec]) => {
      const short = spec.short ? `-${spec.short}, ` : '    ';
      const value =
        spec.type === 'string' ? (spec.choices ? ` <${spec.choices.join('|')}>` : ' <value>') : '';
      return `  ${short}--${name}${value}`;
    });
    const width = Math.max(...labels.map((l) => l.length)) + 2;
    entries.forEach(([, spec], i) => {
      const def =
        spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
      lines.push(`${(labels[i] ?? '').padEnd(width)}${spec.description}${def}`);
    });
  }
  if (command.examples?.length) {
    lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  }
  return lines.join('\n') + '\n';
}
