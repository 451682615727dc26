/**
 * Which environment variables and files `${env:…}` / `${file:…}` references may read (the rule is
 * documented in docs/security.md). A non-secret setting's value is shown in plans, object keys and
 * messages, so whoever can edit a pipeline file could otherwise print the CI runner's environment and
 * files: non-secret settings read only allowed variables (`references.env`, default `FERRY_*`) and
 * files inside the project; secret settings, whose values are never shown, read any variable.
 *
 * The policy comes from ferry.yaml's `references`, read from the parsed (not yet validated) file,
 * because it must be known before ferry.yaml's own references are resolved. Pure; file checks that
 * need the disk are in project/create-reference-resolver.ts.
 */
import { referencesIn, type Reference } from './interpolate-references.js';

export const DEFAULT_ENV_PATTERNS: readonly string[] = ['FERRY_*'];

/** Where container platforms mount secrets (Docker, Kubernetes): secret settings may read files there. */
export const SECRET_MOUNT_PATTERNS: readonly string[] = ['/run/secrets/**', '/var/run/secrets/**'];

export interface ReferencePolicy {
  /** Variable names or `*` patterns non-secret settings may read (`references.env`). */
  env: readonly string[];
  /** Path globs any setting may read beyond the project directory (`references.files`). */
  files: readonly string[];
  /** Variables that secret settings read, with where: never readable by a non-secret setting. */
  secretEnv: ReadonlyMap<string, string>;
  /** Files (as written) that secret settings read, with where. */
  secretFiles: ReadonlyMap<string, string>;
}

export interface ReferenceRefusal {
  message: string;
  hint: string;
}

/** Names like these hold secrets; a `*` pattern never admits them, only the exact name does. */
const SECRET_SHAPED_NAME = /SECRET|TOKEN|PASSW|PASSPHRASE|PRIVATE|CREDENTIAL|ACCESS_KEY|API_KEY/i;

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/**
 * The policy of a project, from ferry.yaml as parsed (undefined when there is none): its
 * `references` block with defaults, and the references its secret settings make.
 */
export function readReferencePolicy(raw: unknown, secretKeys: ReadonlySet<string>): ReferencePolicy {
  const record = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const block = record['references'];
  const references =
    block !== null && typeof block === 'object' ? (block as Record<string, unknown>) : undefined;
  const secretEnv = new Map<string, string>();
  const secretFiles = new Map<string, string>();
  const visit = (value: unknown, path: string[], secret: boolean): void => {
    if (typeof value === 'string') {
      // Every reference in a secret value counts, `Bearer ${env:TOKEN}` as much as `${env:TOKEN}`.
      for (const ref of secret ? referencesIn(value) : []) {
        (ref.kind === 'env' ? secretEnv : secretFiles).set(ref.name, path.join('.'));
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, String(i)], secret));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        visit(child, [...path, key], secret || secretKeys.has(key));
      }
    }
  };
  visit(record, [], false);
  return {
    env: stringList(references?.['env']) ?? DEFAULT_ENV_PATTERNS,
    files: stringList(references?.['files']) ?? [],
    secretEnv,
    secretFiles,
  };
}

function matchesName(pattern: string, name: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(name);
}

/** Why `${env:NAME}` may not be used in this setting, or undefined when it may. */
export function refuseEnvReference(
  ref: Reference,
  policy: ReferencePolicy,
  field: { secret: boolean },
): ReferenceRefusal | undefined {
  if (field.secret) return undefined;
  const written = `\${env:${ref.name}}`;
  const secretUse = policy.secretEnv.get(ref.name);
  if (secretUse !== undefined) {
    return {
      message: `${written} holds a secret (ferry.yaml's ${secretUse} reads it), so a non-secret setting may not read it: its value would be shown.`,
      hint: 'Use a different variable for this setting.',
    };
  }
  if (policy.env.includes(ref.name)) return undefined;
  const allowed = policy.env.length ? policy.env.join(', ') : 'none';
  if (SECRET_SHAPED_NAME.test(ref.name)) {
    return {
      message: `${written} is named like a secret; a non-secret setting may read it only when references.env lists ${ref.name} by its exact name (allowed now: ${allowed}).`,
      hint: 'Secrets belong in secret settings (access keys, passwords). If this value is not secret, add its exact name to references.env in ferry.yaml.',
    };
  }
  if (policy.env.some((pattern) => matchesName(pattern, ref.name))) return undefined;
  return {
    message: `${written} may not be read here: non-secret settings may read only the environment variables references.env allows (now: ${allowed}), because their values are shown in plans, object keys and messages.`,
    hint: `Rename the variable to FERRY_…, or add ${ref.name} to references.env in ferry.yaml if its value is not secret.`,
  };
}

/** The refusal for a file reference that the disk checks turned down. */
export function refuseFileReference(
  ref: Reference,
  field: { secret: boolean },
  reason: 'outside' | 'secret-file',
  secretUse?: string,
): ReferenceRefusal {
  const written = `\${file:${ref.name}}`;
  if (reason === 'secret-file') {
    return {
      message: `${written} holds a secret (ferry.yaml's ${secretUse ?? 'a secret setting'} reads it), so a non-secret setting may not read it: its content would be shown.`,
      hint: 'Use a different file for this setting.',
    };
  }
  const where = field.secret
    ? 'inside the project directory or under /run/secrets or /var/run/secrets'
    : 'inside the project directory';
  return {
    message: `${written} may not be read here: references read files ${where} (a relative path, no hidden file or directory, no symbolic link out of it), or files references.files allows.`,
    hint: 'Move the file into the project, or add its path to references.files in ferry.yaml if its content may be shown.',
  };
}
