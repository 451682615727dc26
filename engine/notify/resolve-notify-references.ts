/**
 * `${env:NAME}` / `${file:PATH}` in notification settings, resolved at send time and only here:
 * the SMTP password, the webhook's HMAC secret and its header values. The values go into the request
 * and nowhere else; an error names the target and the reference, never a value. Each value read is
 * registered with the redactor (errors/redact-secrets.ts), so text that quotes it cannot print it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseReference, type Reference } from '../config/interpolate-references.js';
import { FerryError } from '../errors/ferry-error.js';
import { registerSecret } from '../errors/redact-secrets.js';

export interface ReferenceContext {
  env: NodeJS.ProcessEnv;
  /** `${file:…}` paths are relative to the project directory. */
  projectDir: string;
  /** For messages: the notification target and the field. */
  target: string;
  field: string;
}

function readReference(ref: Reference, context: ReferenceContext): string | undefined {
  if (ref.kind === 'env') return context.env[ref.name];
  try {
    return readFileSync(resolve(context.projectDir, ref.name), 'utf8').replace(/\r?\n$/, '');
  } catch {
    return undefined;
  }
}

function unresolved(written: string, ref: Reference | undefined, context: ReferenceContext): FerryError {
  return new FerryError(
    'SECRET_UNRESOLVED',
    `Notification target "${context.target}": ${context.field} refers to ${written}, which is ${ref?.kind === 'file' ? 'not readable' : 'not set'}.`,
    {
      context: { target: context.target },
      hint:
        ref?.kind === 'file'
          ? 'Check the file path and its permissions.'
          : `Set the environment variable ${ref?.name ?? ''} where ferry runs.`,
    },
  );
}

/**
 * Replaces every reference in `text` by its value. A reference with `:-default` falls back to the
 * default; an unset one (or a malformed `${…}`) throws SECRET_UNRESOLVED.
 */
export function resolveNotifyReferences(text: string, context: ReferenceContext): string {
  let referenced = false;
  const resolved = text.replace(/\$\{([^}]*)\}/g, (whole, body: string) => {
    referenced = true;
    const ref = parseReference(body);
    const value = ref ? readReference(ref, context) : undefined;
    if (value !== undefined && value !== '') {
      registerSecret(value);
      return value;
    }
    if (ref?.defaultValue !== undefined) return ref.defaultValue;
    throw unresolved(whole, ref, context);
  });
  // The whole value too (`Bearer <token>`). A value without references is a literal of the
  // configuration, shown there anyway (`application/json`), so it is not registered.
  if (referenced) registerSecret(resolved);
  return resolved;
}
