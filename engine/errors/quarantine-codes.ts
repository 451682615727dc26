/**
 * Error codes that refuse a run's data rather than report a fault: the run writes nothing, exits
 * with code 6 (refused), and its source files are quarantined in pipeline state (docs/guards.md)
 * so they are not retried every run until their content changes or they are released.
 */
export const QUARANTINE_CODES: ReadonlySet<string> = new Set(['GUARD_TRIPPED', 'CHECK_FAILED']);
