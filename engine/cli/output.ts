/**
 * The only module that writes to the console. Commands receive an Output so tests can capture it.
 * Everything written goes through redactSecrets (errors/redact-secrets.ts) first: whatever a command
 * prints, a registered secret value or an access key id never reaches the terminal or a CI log.
 *
 * Colour is decided per stream, by that stream's terminal: `ferry plan | less` keeps colour in the
 * warnings on stderr and none in the plan. NO_COLOR (non-empty, no-color.org) and `--no-color` turn
 * it off, FORCE_COLOR (not 0) on. Progress is for a person watching: a terminal on stderr, not in CI.
 */
import { redactSecrets } from '../errors/redact-secrets.js';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Colour in what goes to stdout: stdout is a terminal and colour is not turned off. */
  color: boolean;
  /** Colour in what goes to stderr (problems, progress); absent: as `color`. */
  stderrColor?: boolean;
  /** True when stdout is a terminal (a person is watching): log lines as text rather than JSON. */
  interactive?: boolean;
  /** True when progress lines on stderr help: stderr is a terminal and CI is not set. */
  progress?: boolean;
}

/** The same output with every text redacted before it is written. */
export function createRedactingOutput(output: Output): Output {
  return {
    ...output,
    stdout: (text) => output.stdout(redactSecrets(text)),
    stderr: (text) => output.stderr(redactSecrets(text)),
  };
}

/** Whether a stream gets colour: FORCE_COLOR, NO_COLOR and --no-color first, then its terminal. */
export function decideColor(
  env: NodeJS.ProcessEnv,
  stream: { isTTY: boolean },
  options: { noColorFlag?: boolean } = {},
): boolean {
  if (options.noColorFlag === true) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (force === '0' || force === 'false') return false;
  // no-color.org: "when present and not an empty string".
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY;
}

/** Progress on stderr: a person at a terminal, not CI (`CI` set to anything but false/0). */
export function decideProgress(env: NodeJS.ProcessEnv, stderr: { isTTY: boolean }): boolean {
  const ci = env['CI'];
  const inCi = ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
  return stderr.isTTY && !inCi;
}

export function createConsoleOutput(
  env: NodeJS.ProcessEnv = process.env,
  options: { noColorFlag?: boolean } = {},
): Output {
  const stdoutTty = { isTTY: process.stdout.isTTY === true };
  const stderrTty = { isTTY: process.stderr.isTTY === true };
  return createRedactingOutput({
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    color: decideColor(env, stdoutTty, options),
    stderrColor: decideColor(env, stderrTty, options),
    interactive: stdoutTty.isTTY,
    progress: decideProgress(env, stderrTty),
  });
}
