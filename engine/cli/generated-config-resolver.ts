/**
 * How generated configuration (a drafted connection, discover's proposals) resolves `${env:…}`
 * references while it is checked: from the environment only; a drafted file names no files.
 * One place, so a change to the reference resolver's shape touches this file alone.
 */
import type { ReferenceResolver } from '../config/interpolate-references.js';

export function createGeneratedConfigResolver(env: NodeJS.ProcessEnv): ReferenceResolver {
  return (ref) => (ref.kind === 'env' ? env[ref.name] : undefined);
}
