/**
 * Crash points, for the crash tests (RELIABILITY.md: SIGKILL at each checkpoint, then re-run).
 * With FERRY_FAILPOINT=<name> in the environment, the process kills itself with SIGKILL when it
 * reaches that point: no finally blocks, no cleanup, like the OOM killer or a pulled plug. Without
 * the variable (every normal run) each call is one environment lookup.
 *
 * Only ever set for a ferry child process: in-process it would take the test runner down with it.
 */
export const FAILPOINTS = [
  /** The pipeline lock is held, nothing else done. */
  'after-lock',
  /** Source objects are in the run's temp dir. */
  'after-download',
  /** The first output object is uploaded and verified, the others are not. */
  'mid-upload',
  /** Every output is uploaded and verified; state is not committed. */
  'after-upload',
  /** The new dataset version is current; the pipeline's state is not committed. */
  'between-commits',
  /** The new state.json is written beside the old one, not yet renamed over it. */
  'during-state-write',
  /** State is committed; the lock is still held. */
  'after-commit',
] as const;

export type Failpoint = (typeof FAILPOINTS)[number];

export function failpoint(name: Failpoint): void {
  if (process.env['FERRY_FAILPOINT'] === name) process.kill(process.pid, 'SIGKILL');
}
