/**
 * The last line of defence for "no secret egress" (RELIABILITY.md I6): text from third parties (an S3
 * server's error body, a network library's message) can echo what it was sent, credentials included.
 * Every secret value is registered here at the moment it is resolved (run/resolve-connection.ts, the
 * credentials an S3 client resolves in io/s3/register-credentials.ts, notification secrets), and
 * `redactSecrets` replaces each with `***` wherever error text is built from such sources
 * (io/s3/wrap-s3-error.ts), before a run record is written, and at the CLI's output (cli/output.ts).
 *
 * Shapes are caught even when their value was never registered: AWS access key ids keep at most their
 * last 4 characters, SigV4 signatures none.
 *
 * Process-wide on purpose: whoever prints or stores text must not need to know which connection's
 * secrets could be in it.
 */

/** Shorter values are not registered: replacing "ab" everywhere would garble every message. */
export const MIN_SECRET_CHARS = 4;

export const REDACTED = '***';

const secrets = new Set<string>();
let ordered: string[] = [];

const AWS_ACCESS_KEY_ID =
  /\b(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA|ABIA|ACCA)[A-Z0-9]{12}([A-Z0-9]{4})\b/g;
const SIGV4_SIGNATURE = /\b((?:X-Amz-)?Signature=)[0-9a-f]{64}\b/gi;

/**
 * Remembers a secret value (and its URL-encoded form, as in an echoed query string) so that
 * redactSecrets hides it from now on. Values shorter than MIN_SECRET_CHARS are ignored.
 */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_CHARS) return;
  const before = secrets.size;
  for (const form of [value, encodeURIComponent(value)]) secrets.add(form);
  if (secrets.size !== before) ordered = [...secrets].sort((a, b) => b.length - a.length);
}

/** `text` with every registered secret replaced by `***` and key-shaped strings shortened. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of ordered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(AWS_ACCESS_KEY_ID, (_whole, last4: string) => `${REDACTED}${last4}`)
    .replace(SIGV4_SIGNATURE, (_whole, name: string) => `${name}${REDACTED}`);
}
