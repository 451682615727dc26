/**
 * Output object keys from the sink's filename template. Keys must be deterministic for a given input
 * and run time (a retry writes the same keys, never duplicates) and must stay under the sink
 * directory whatever a data-derived value contains: each substituted value is reduced to a safe
 * character set, and the final key is checked again as a whole.
 */
import Handlebars from 'handlebars';
import { FerryError } from '../errors/ferry-error.js';
import { formatTimestamp } from '../time/timestamp-format.js';

export const MAX_KEY_BYTES = 1024;

export type KeyVariables = Record<string, string | number | undefined>;

/**
 * The template variables a run's time gives (`timestamp` in the sink's format, the date and its
 * parts), in the sink's zone: the only variables that change from one scheduled run to the next
 * besides `run_id` and `source_stem`.
 */
export function runTimeVariables(
  runTime: Date,
  sink: { timestampFormat: string; timezone: string },
): Record<'timestamp' | 'date' | 'year' | 'month' | 'day' | 'hour' | 'minute', string> {
  const zoned = (format: string) => formatTimestamp(runTime, format, sink.timezone);
  return {
    timestamp: zoned(sink.timestampFormat),
    date: zoned('YYYY-MM-DD'),
    year: zoned('YYYY'),
    month: zoned('MM'),
    day: zoned('DD'),
    hour: zoned('HH'),
    minute: zoned('mm'),
  };
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Reduce a substituted value to `[A-Za-z0-9._=-]`, never a lone `.`/`..`, never empty. */
export function sanitizeKeyValue(value: string): string {
  const cleaned = value
    .normalize('NFC')
    .replace(/[^A-Za-z0-9._=-]/g, '_')
    .replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  return cleaned === '' ? '_' : cleaned;
}

/** Normalize a sink directory to "a/b/" form ("" for the bucket root). */
export function normalizeDirectory(directory: string): string {
  const parts = directory.split('/').filter((p) => p !== '');
  return parts.length ? parts.join('/') + '/' : '';
}

export function checkObjectKey(key: string, directory: string): string | undefined {
  const dir = normalizeDirectory(directory);
  if (!key.startsWith(dir) || key.length === dir.length)
    return `is not a file under "${dir || '(bucket root)'}"`;
  if (key.startsWith('/')) return 'starts with "/"';
  if (key.includes('//')) return 'contains "//"';
  if (key.split('/').some((s) => s === '.' || s === '..')) return 'contains a "." or ".." segment';
  if (key.endsWith('/')) return 'ends with "/"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains control characters';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

export function renderOutputKey(input: {
  directory: string;
  template: string;
  variables: KeyVariables;
  pipeline?: string;
}): string {
  let template = compiled.get(input.template);
  if (!template) {
    template = Handlebars.compile(input.template, { noEscape: true, strict: true, knownHelpersOnly: true });
    compiled.set(input.template, template);
  }
  const safe: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.variables)) {
    if (value !== undefined) safe[name] = sanitizeKeyValue(String(value));
  }
  let name: string;
  try {
    name = template(safe);
  } catch (error) {
    throw new FerryError(
      'KEY_TEMPLATE_FAILED',
      `Cannot render the output filename template "${input.template}".`,
      {
        cause: error,
        context: { ...(input.pipeline ? { pipeline: input.pipeline } : {}), step: 'render-key' },
        hint: 'Check that every {{variable}} is available for this sink (see ferry validate).',
      },
    );
  }
  const key = normalizeDirectory(input.directory) + name;
  const reason = checkObjectKey(key, input.directory);
  if (reason) {
    throw new FerryError('KEY_UNSAFE', `Output key "${key.slice(0, 200)}" ${reason}.`, {
      context: {
        ...(input.pipeline ? { pipeline: input.pipeline } : {}),
        step: 'render-key',
        key: key.slice(0, 200),
      },
      hint: 'Change sink.filename or sink.directory so keys stay inside the directory and under 1024 bytes.',
    });
  }
  return key;
}
