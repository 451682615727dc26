/**
 * A real process that owns a run temp dir (made by the built engine's createRunTempDir) for as long as
 * the test lets it live: the stale-temp-dir sweep must never take a live run's directory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TEMP_DIR_MODULE = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'io', 'temp-dir.js'),
).href;

// argv[1]: the module, argv[2]: the root, argv[3]: "hold" (live until stdin ends) or "exit".
const CHILD_SCRIPT = `
import(process.argv[1]).then(async ({ createRunTempDir }) => {
  const dir = await createRunTempDir({ root: process.argv[2], runId: 'held' });
  process.stdout.write(dir.path + '\\n');
  if (process.argv[3] === 'exit') process.exit(0);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
});
`;

export interface TempDirHolder {
  /** The run temp dir the process made. */
  path: string;
  pid: number;
  /** Ends the process (closes its stdin) and waits for it. */
  release: () => Promise<void>;
}

/** Starts a process that makes a run temp dir under `root`; with `exit`, it dies right after. */
export async function startTempDirHolder(root: string, mode: 'hold' | 'exit'): Promise<TempDirHolder> {
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, TEMP_DIR_MODULE, root, mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  while (!output.includes('\n')) {
    await Promise.race([once(child.stdout, 'data'), exited]);
    if (child.exitCode !== null && !output.includes('\n')) throw new Error('temp dir holder died early');
  }
  if (mode === 'exit' && child.exitCode === null) await exited;
  return {
    path: output.trim(),
    pid: child.pid ?? -1,
    release: async () => {
      if (child.exitCode !== null) return;
      child.stdin.end();
      await exited;
    },
  };
}
