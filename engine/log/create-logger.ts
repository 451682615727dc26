/**
 * ferry's structured logger (pino). JSON lines for machines (a container, `--log-format json`), or
 * readable lines for a person at a terminal (`--log-format text`, the default on a TTY). Both come
 * from the same pino record, so redaction applies to both.
 *
 * Secrets are kept out in two ways: by construction (log calls pass names, codes, counts and
 * durations, never configuration values or credentials), and by pino's `redact` for any field whose
 * name looks like a secret, at any of the first three levels of nesting.
 */
import { pino, type Logger } from 'pino';
import { renderLogLine } from './render-log-line.js';

export type { Logger } from 'pino';

export type LogFormat = 'json' | 'text';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

/** Field names whose values are never logged, whatever their nesting (three levels). */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'password',
  'passphrase',
  'secret',
  'secretAccessKey',
  'secret_access_key',
  'accessKeyId',
  'access_key_id',
  'sessionToken',
  'session_token',
  'token',
  'authorization',
  'Authorization',
  'cookie',
  'privateKey',
  'private_key',
  'apiKey',
  'api_key',
  'credentials',
];

export const REDACTED = '[redacted]';

export interface CreateLoggerOptions {
  format: LogFormat;
  /** Where each finished line goes (the CLI's output module). */
  write: (line: string) => void;
  /** Text format: ANSI colours. */
  color?: boolean;
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** Fields on every line. */
  bindings?: Record<string, unknown>;
  /** For tests: a fixed clock for the `time` field (ms since the epoch). */
  now?: () => number;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const paths = SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
  const now = options.now;
  const destination =
    options.format === 'json'
      ? { write: (line: string) => options.write(line) }
      : {
          write: (line: string) =>
            options.write(
              renderLogLine(JSON.parse(line) as Record<string, unknown>, { color: options.color === true }),
            ),
        };
  return pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? null,
      redact: { paths, censor: REDACTED },
      timestamp: now ? () => `,"time":"${new Date(now()).toISOString()}"` : pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** JSON when asked, or when stdout is not a terminal (a container, a pipe); text on a terminal. */
export function chooseLogFormat(requested: string | undefined, isTty: boolean): LogFormat {
  if (requested === 'json' || requested === 'text') return requested;
  return isTty ? 'text' : 'json';
}
