/**
 * The PGP keys a step uses: the run's keyring accessor when the runner passes one
 * (`StepContext.pgp`), else one made here from the process environment, once per run. The fallback
 * exists only until run-project passes its own accessor (resolved with the run's `env`, like the S3
 * clients); then this module shrinks to `context.pgp`.
 */
import type { PgpKeyAccess } from '../io/pgp/read-keys.js';
import { createPgpKeyAccess } from '../run/resolve-pgp-keys.js';
import type { StepContext } from './step-context.js';

const fallbacks = new WeakMap<StepContext, PgpKeyAccess>();

export function pgpKeyAccess(context: StepContext): PgpKeyAccess {
  if (context.pgp) return context.pgp;
  let access = fallbacks.get(context);
  if (!access) {
    access = createPgpKeyAccess({ project: context.project, env: process.env });
    fallbacks.set(context, access);
  }
  return access;
}
