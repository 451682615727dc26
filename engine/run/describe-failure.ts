/** How a failed run is told: its error as plans and run records carry it, and the stop by a signal. */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { redactSecrets } from '../errors/redact-secrets.js';

/** The error of a run stopped by a signal; `where` says how far it got. */
export function interruption(signal: AbortSignal, where: string): FerryError {
  const name = typeof signal.reason === 'string' ? signal.reason : 'a stop request';
  return new FerryError('RUN_INTERRUPTED', `Stopped by ${name} ${where}; nothing was committed.`, {
    hint: 'Run `ferry apply` again: it starts over from the committed state, and nothing is duplicated.',
  });
}

/** An error as a plan and a run record report it: code, message, hint; never a stack for ours. */
export function describeFailure(error: unknown): { code: string; message: string; hint?: string } {
  // Plans, logs and run records carry this: no secret that a third party echoed may reach them.
  if (isFerryError(error))
    return {
      code: error.code,
      message: redactSecrets(error.message),
      ...(error.hint ? { hint: redactSecrets(error.hint) } : {}),
    };
  return {
    code: 'INTERNAL',
    message: redactSecrets(
      `Internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    ),
  };
}
