/**
 * How generated configuration (a drafted connection, discover's proposals) resolves references
 * while it is checked: the same rule as a loaded project's (project/create-reference-resolver.ts),
 * with the default policy, since the generated file has no ferry.yaml of its own yet.
 * One place, so a change to the reference resolver's shape touches this file alone.
 */
import { getSecretKeys } from '../config/check-config-file.js';
import type { ReferenceResolver } from '../config/interpolate-references.js';
import { readReferencePolicy } from '../config/reference-policy.js';
import { createReferenceResolver } from '../project/create-reference-resolver.js';

export function createGeneratedConfigResolver(env: NodeJS.ProcessEnv, projectDir: string): ReferenceResolver {
  return createReferenceResolver({
    projectDir,
    env,
    policy: readReferencePolicy(undefined, getSecretKeys()),
  });
}
