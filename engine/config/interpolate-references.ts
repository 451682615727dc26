/**
 * `${env:NAME}` / `${env:NAME:-default}` / `${file:PATH}` references, resolved after parsing and only
 * inside string scalars (never in keys, never by re-parsing YAML), so a value cannot inject structure.
 *
 * Secret fields are NOT resolved here: they stay references in the loaded configuration and are
 * resolved only where a client is created, so a secret value never reaches a plan, a log or state.
 * Every reference, secret or not, is first put to the resolver's `refuse` (reference-policy.ts): a
 * refused one is reported and left unresolved, so its value never enters the configuration.
 */
import { joinPointer } from './locate-pointer.js';

export type ReferenceKind = 'env' | 'file';

export interface Reference {
  kind: ReferenceKind;
  name: string;
  defaultValue?: string;
}

/** How references are checked and read; the loader supplies one (project/create-reference-resolver.ts). */
export interface ReferenceResolver {
  /** Why this reference may not be used in this field, or undefined when it may. */
  refuse(ref: Reference, field: { secret: boolean }): { message: string; hint: string } | undefined;
  /** The value of an allowed reference in a non-secret field, or undefined when unset / unreadable. */
  read(ref: Reference): string | undefined;
}

/** A reference as written and the text it was replaced by: plans show the former (restore-references.ts). */
export interface ResolvedReference {
  /** Where, as a JSON pointer into the file. */
  pointer: string;
  text: string;
  value: string;
}

export interface InterpolationIssue {
  pointer: string;
  code: 'CONFIG_REFERENCE_UNSET' | 'CONFIG_REFERENCE_INVALID' | 'CONFIG_REFERENCE_NOT_ALLOWED';
  message: string;
  hint: string;
}

export interface InterpolationResult {
  value: unknown;
  issues: InterpolationIssue[];
  /** Pointers of values that held references (for `plan` to show the reference, not the value). */
  referencePointers: string[];
  /** Every reference replaced by a value (or its default), for showing the reference instead. */
  resolved: ResolvedReference[];
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
 * Every well-formed reference in `value`, in order (a malformed `${…}` is skipped). A secret setting
 * that embeds references in a longer value (`Bearer ${env:TOKEN}`) makes each of them secret.
 */
export function referencesIn(value: string): Reference[] {
  return [...value.matchAll(REFERENCE)]
    .map((match) => parseReference(match[1] ?? ''))
    .filter((ref): ref is Reference => ref !== undefined);
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
  const resolved: ResolvedReference[] = [];
  const refused = (pointer: string, ref: Reference, secret: boolean): boolean => {
    const refusal = options.resolve.refuse(ref, { secret });
    if (refusal) issues.push({ pointer, code: 'CONFIG_REFERENCE_NOT_ALLOWED', ...refusal });
    return refusal !== undefined;
  };

  const substitute = (value: string, pointer: string): string =>
    value.replace(REFERENCE, (whole, body: string) => {
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
      if (refused(pointer, ref, false)) return whole;
      const text = options.resolve.read(ref) ?? ref.defaultValue;
      if (text !== undefined) {
        resolved.push({ pointer, text: whole, value: text });
        return text;
      }
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
            : 'Check the path and its permissions (a regular file of at most 1 MiB).',
      });
      return whole;
    });

  const visit = (value: unknown, path: (string | number)[], isSecret: boolean): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return value;
      const pointer = joinPointer(path);
      if (isSecret) {
        // Checked, never read here: every reference, also inside a longer value (a header's
        // `Bearer ${env:…}`). A malformed secret value is the schema's CONFIG_LITERAL_SECRET.
        for (const ref of referencesIn(value)) refused(pointer, ref, true);
        return value;
      }
      referencePointers.push(pointer);
      return substitute(value, pointer);
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

  return { value: visit(input, [], false), issues, referencePointers, resolved };
}
