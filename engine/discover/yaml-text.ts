/**
 * YAML scalars and comments for generated files (discover, init). Hand-written YAML keeps the
 * comments where a reader needs them; these helpers keep it valid: a plain scalar only when YAML
 * reads it back as the same string, single quotes otherwise, double quotes (JSON escapes, which
 * YAML reads) for text with control characters. Comments never carry a line break.
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaUrl } from '../config/config-schemas.js';

const PLAIN_SAFE = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
/** Plain words YAML 1.2 (core schema) reads as something other than a string. */
const NOT_A_STRING =
  /^(true|false|null|~|yes|no|on|off|[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.inf|\.nan|0x[0-9a-fA-F]+|0o[0-7]+))$/i;

/** `value` as a YAML scalar that reads back as exactly that string. */
export function yamlString(value: string): string {
  if (PLAIN_SAFE.test(value) && !NOT_A_STRING.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return JSON.stringify(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/** Text that is safe inside a `#` comment: one line, no control characters. */
export function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** `lines` indented by `spaces`; empty lines stay empty. */
export function indentLines(lines: readonly string[], spaces: number): string[] {
  const pad = ' '.repeat(spaces);
  return lines.map((line) => (line === '' ? '' : pad + line));
}

/**
 * The `$schema` of a modeline in a file in `fromDir`: the schema that ships with this ferry, as a
 * relative path (POSIX separators), so editors find it wherever the project lives.
 */
export function schemaReference(fromDir: string, name: 'ferry' | 'pipeline'): string {
  const path = relative(fromDir, fileURLToPath(schemaUrl(name)))
    .split(sep)
    .join('/');
  return path.startsWith('.') ? path : `./${path}`;
}
