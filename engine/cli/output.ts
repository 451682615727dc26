/**
 * The only module that writes to the console. Commands receive an Output so tests can capture it.
 * Everything written goes through redactSecrets (errors/redact-secrets.ts) first: whatever a command
 * prints, a registered secret value or an access key id never reaches the terminal or a CI log.
 */
import { redactSecrets } from '../errors/redact-secrets.js';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal and colour is not disabled (NO_COLOR, FORCE_COLOR=0). */
  color: boolean;
  /** True when stdout is a terminal (a person is watching): log lines as text rather than JSON. */
  interactive?: boolean;
}

/** The same output with every text redacted before it is written. */
export function createRedactingOutput(output: Output): Output {
  return {
    stdout: (text) => output.stdout(redactSecrets(text)),
    stderr: (text) => output.stderr(redactSecrets(text)),
    color: output.color,
    ...(output.interactive !== undefined ? { interactive: output.interactive } : {}),
  };
}

export function createConsoleOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const color =
    env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0'
      ? true
      : env['NO_COLOR'] === undefined && env['FORCE_COLOR'] !== '0' && process.stdout.isTTY === true;
  return createRedactingOutput({
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    color,
    interactive: process.stdout.isTTY === true,
  });
}
