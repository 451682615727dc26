/**
 * The only module that writes to the console. Commands receive an Output so tests can capture it.
 */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal and colour is not disabled (NO_COLOR, FORCE_COLOR=0). */
  color: boolean;
  /** True when stdout is a terminal (a person is watching): log lines as text rather than JSON. */
  interactive?: boolean;
}

export function createConsoleOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const color =
    env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0'
      ? true
      : env['NO_COLOR'] === undefined && env['FORCE_COLOR'] !== '0' && process.stdout.isTTY === true;
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    color,
    interactive: process.stdout.isTTY === true,
  };
}
