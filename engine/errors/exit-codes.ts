/** Process exit codes. Public: documented in README, never renumbered. Only the CLI entry point uses them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  changes: 2,
  invalidConfig: 3,
  lockHeld: 4,
  stalePlan: 5,
  /** Data refused by a guard or a fail-level check: nothing written; see docs/guards.md. */
  refused: 6,
  usage: 64,
  internal: 70,
  /** Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15): nothing half-committed, re-run to finish. */
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
