/**
 * The built CLI (bin/ferry.js → dist/) as a child process, for what only a real process shows:
 * being killed (SIGKILL at a failpoint) or stopped (SIGTERM). test/global-setup.ts builds dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'ferry.js');

export interface FerryProcess {
  child: ChildProcess;
  /** Output so far (stdout and stderr interleaved). */
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

export function startFerryProcess(options: {
  cwd: string;
  args: readonly string[];
  env: Record<string, string>;
}): FerryProcess {
  const child = spawn(process.execPath, [BIN, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, output }));
    },
  );
  return { child, output: () => output, exited };
}
