/** The CLI in-process with its output captured, no colour: what a test of a command needs. */
import { runCli } from '../../engine/cli/main.js';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, in the order they were written. */
  output: string;
}

export async function runCliCaptured(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  let output = '';
  const code = await runCli(argv, {
    cwd: options.cwd,
    env: options.env,
    output: {
      stdout: (text) => void ((stdout += text), (output += text)),
      stderr: (text) => void ((stderr += text), (output += text)),
      color: false,
    },
  });
  return { code, stdout, stderr, output };
}
