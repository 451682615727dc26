/**
 * `${env:NAME}` / `${env:NAME:-default}` / `${file:PATH}` references, resolved after parsing and only
 * inside string scalars (never in keys, never by re-parsing YAML), so a value cannot inject structure.
 *
 * Secret fields are NOT resolved here: they stay references in the loaded configuration and are
 * resolved only where a client is created, so a secret value never reaches a plan, a log or state.
 */
import { joinPointer } from './locate-pointer.js';

export type ReferenceKind = 'env' | 'file';

export interface Reference {
  kind: ReferenceKind;
  name: string;
  defaultValue?: string;
}

/** Resolves one reference, or returns undefined when it is unset / unreadable. */
export type ReferenceResolver = (ref: Reference) => string | undefined;

export interface InterpolationIssue {
  pointer: string;
  code: 'CONFIG_REFERENCE_UNSET' | 'CONFIG_REFERENCE_INVALID';
  message: string;
  hint: string;
}

export interface InterpolationResult {
  value: unknown;
  issues: InterpolationIssue[];
  /** Pointers of values that held references (for `plan` to show the reference, not the value). */
  referencePointers: string[];
}

const REFERENCE = /\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseReference(body: string): Reference | undefined {
  const colon = body.indexOf(':');
  if (colon < 0) return undefined;
  const kind = body.slice(0, colon);
  const rest = body.slice(colon + 1);
  if (kind === 'env') {
    const sep = rest.indexOf(':-');
    const name = sep < 0 ? rest : rest.slice(0, sep);
    if (!ENV_NAME.test(name)) return undefined;
    return sep < 0 ? { kind, name } : { kind, name, defaultValue: rest.slice(sep + 2) };
  }
  if (kind === 'file') {
    return rest.length > 0 ? { kind, name: rest } : undefined;
  }
  return undefined;
}

/** The reference when the whole string is exactly one `${…}` reference, else undefined. */
export function parseSingleReference(value: string): Reference | undefined {
  const match = /^\$\{([^}]*)\}$/.exec(value);
  return match ? parseReference(match[1] ?? '') : undefined;
}

/**
 * The only form a secret field accepts: exactly one reference and no `:-default`
 * (a default would put a literal secret in the file).
 */
export function isSecretReference(value: string): boolean {
  const ref = parseSingleReference(value);
  return ref !== undefined && ref.defaultValue === undefined;
}

export function interpolateReferences(
  input: unknown,
  options: { secretKeys: ReadonlySet<string>; resolve: ReferenceResolver },
): InterpolationResult {
  const issues: InterpolationIssue[] = [];
  const referencePointers: string[] = [];

  const visit = (value: unknown, path: (string | number)[], isSecret: boolean): unknown => {
    if (typeof value === 'string') {
      if (isSecret || !value.includes('${')) return value;
      const pointer = joinPointer(path);
      referencePointers.push(pointer);
      return value.replace(REFERENCE, (whole, body: string) => {
        const ref = parseReference(body);
        if (!ref) {
          issues.push({
            pointer,
            code: 'CONFIG_REFERENCE_INVALID',
            message: `"${whole}" is not a valid reference.`,
            hint: 'Use ${env:NAME}, ${env:NAME:-default} or ${file:PATH}.',
          });
          return whole;
        }
        const resolved = options.resolve(ref);
        if (resolved !== undefined) return resolved;
        if (ref.defaultValue !== undefined) return ref.defaultValue;
        issues.push({
          pointer,
          code: 'CONFIG_REFERENCE_UNSET',
          message:
            ref.kind === 'env'
              ? `Environment variable ${ref.name} is not set.`
              : `File ${ref.name} referenced here cannot be read.`,
          hint:
            ref.kind === 'env'
              ? `Set ${ref.name}, or give a default: \${env:${ref.name}:-value}.`
              : 'Check the path and its permissions.',
        });
        return whole;
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i], isSecret));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        out[key] = visit(child, [...path, key], isSecret || options.secretKeys.has(key));
      }
      return out;
    }
    return value;
  };

  return { value: visit(input, [], false), issues, referencePointers };
}
