/**
 * mapping.timestamp.format accepts DuckDB's strptime form (`%Y-%m-%d %H:%M:%S`) or ferry's token form
 * (`YYYY-MM-DD HH:mm:ss`, the same tokens as filenames). Token form is translated here.
 */
import { compileTimestampFormat } from '../time/timestamp-format.js';

const STRPTIME: Record<string, string> = {
  YYYY: '%Y',
  YY: '%y',
  MM: '%m',
  M: '%-m',
  DD: '%d',
  D: '%-d',
  HH: '%H',
  H: '%-H',
  mm: '%M',
  ss: '%S',
  SSS: '%g',
  X: '%s',
  x: '%s',
  Z: '%z',
};

export function toStrptimeFormat(format: string): string {
  if (format.includes('%')) return format;
  return compileTimestampFormat(format)
    .map((part) => (part.kind === 'literal' ? part.text.replace(/%/g, '%%') : (STRPTIME[part.token] ?? '')))
    .join('');
}
