/**
 * Timestamp format tokens for filenames and for timestamps embedded in object keys.
 * The seed product defines `MM` = month and `mm` = minute; the rest follows the same family
 * (moment/dayjs style). Any other letter outside `[brackets]` is rejected rather than copied,
 * so `hh` or `yyyy` fails validation instead of producing a surprising key.
 *
 * | token | meaning            | example |
 * |-------|--------------------|---------|
 * | YYYY  | year               | 2026    |
 * | YY    | two-digit year     | 26      |
 * | MM    | month 01–12        | 03      |
 * | M     | month 1–12         | 3       |
 * | DD    | day 01–31          | 07      |
 * | D     | day 1–31           | 7       |
 * | HH    | hour 00–23         | 09      |
 * | H     | hour 0–23          | 9       |
 * | mm    | minute 00–59       | 05      |
 * | ss    | second 00–59       | 00      |
 * | SSS   | millisecond        | 042     |
 * | X     | unix seconds       | 1700000000 |
 * | x     | unix milliseconds  | 1700000000000 |
 * | Z     | UTC offset         | +01:00  |
 * | [...] | literal text       | [T]     |
 */

export type TimestampToken =
  'YYYY' | 'YY' | 'MM' | 'M' | 'DD' | 'D' | 'HH' | 'H' | 'mm' | 'ss' | 'SSS' | 'X' | 'x' | 'Z';

export type FormatPart = { kind: 'token'; token: TimestampToken } | { kind: 'literal'; text: string };

const TOKENS: readonly TimestampToken[] = [
  'YYYY',
  'SSS',
  'YY',
  'MM',
  'DD',
  'HH',
  'mm',
  'ss',
  'M',
  'D',
  'H',
  'X',
  'x',
  'Z',
];

export class TimestampFormatError extends Error {
  override readonly name = 'TimestampFormatError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

/** Parse a format string into parts; throws TimestampFormatError with the offending index. */
export function compileTimestampFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  const pushLiteral = (text: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === 'literal') last.text += text;
    else parts.push({ kind: 'literal', text });
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i] ?? '';
    if (ch === '[') {
      const end = format.indexOf(']', i + 1);
      if (end < 0) throw new TimestampFormatError('Unclosed "[" in timestamp format.', i);
      pushLiteral(format.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    const token = TOKENS.find((t) => format.startsWith(t, i));
    if (token) {
      parts.push({ kind: 'token', token });
      i += token.length;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      throw new TimestampFormatError(
        `"${ch}" is not a timestamp token; known tokens: YYYY YY MM M DD D HH H mm ss SSS X x Z (put literal letters in [brackets]).`,
        i,
      );
    }
    pushLiteral(ch);
    i += 1;
  }
  return parts;
}

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  offsetMinutes: number;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function zonedParts(date: Date, timeZone: string): ZonedParts {
  let formatter = formatterCache.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatterCache.set(timeZone, formatter);
  }
  const formatted = formatter.formatToParts(date);
  const get = (type: string) => Number(formatted.find((p) => p.type === type)?.value);
  const parts = {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const offsetMinutes = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  return { ...parts, offsetMinutes };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/** Format an instant in an IANA time zone. */
export function formatTimestamp(date: Date, format: string | FormatPart[], timeZone: string): string {
  const parts = typeof format === 'string' ? compileTimestampFormat(format) : format;
  const z = zonedParts(date, timeZone);
  return parts
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      switch (part.token) {
        case 'YYYY':
          return pad(z.year, 4);
        case 'YY':
          return pad(z.year % 100, 2);
        case 'MM':
          return pad(z.month, 2);
        case 'M':
          return String(z.month);
        case 'DD':
          return pad(z.day, 2);
        case 'D':
          return String(z.day);
        case 'HH':
          return pad(z.hour, 2);
        case 'H':
          return String(z.hour);
        case 'mm':
          return pad(z.minute, 2);
        case 'ss':
          return pad(z.second, 2);
        case 'SSS':
          return pad(date.getUTCMilliseconds(), 3);
        case 'X':
          return String(Math.floor(date.getTime() / 1000));
        case 'x':
          return String(date.getTime());
        case 'Z':
          return formatOffset(z.offsetMinutes);
      }
    })
    .join('');
}

const TOKEN_PATTERN: Record<TimestampToken, string> = {
  YYYY: '(\\d{4})',
  YY: '(\\d{2})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSS: '(\\d{3})',
  X: '(\\d{1,12})',
  x: '(\\d{1,15})',
  Z: '([+-]\\d{2}:?\\d{2}|Z)',
};

/**
 * Parse text written in `format`, interpreting wall-clock fields in `timeZone` (unless the text has
 * an offset). Returns undefined when the text does not match or names an impossible date.
 */
export function parseTimestamp(
  text: string,
  format: string | FormatPart[],
  timeZone: string,
): Date | undefined {
  const parts = typeof format === 'string' ? compileTimestampFormat(format) : format;
  const tokens: TimestampToken[] = [];
  const pattern = parts
    .map((p) => {
      if (p.kind === 'literal') return p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      tokens.push(p.token);
      return TOKEN_PATTERN[p.token];
    })
    .join('');
  const match = new RegExp(`^${pattern}$`).exec(text);
  if (!match) return undefined;
  const f = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  let offset: number | undefined;
  let epochMs: number | undefined;
  tokens.forEach((token, i) => {
    const raw = match[i + 1] ?? '';
    const n = Number(raw);
    switch (token) {
      case 'YYYY':
        f.year = n;
        break;
      case 'YY':
        f.year = 2000 + n;
        break;
      case 'MM':
      case 'M':
        f.month = n;
        break;
      case 'DD':
      case 'D':
        f.day = n;
        break;
      case 'HH':
      case 'H':
        f.hour = n;
        break;
      case 'mm':
        f.minute = n;
        break;
      case 'ss':
        f.second = n;
        break;
      case 'SSS':
        f.ms = n;
        break;
      case 'X':
        epochMs = n * 1000;
        break;
      case 'x':
        epochMs = n;
        break;
      case 'Z': {
        if (raw === 'Z') offset = 0;
        else {
          const m = /^([+-])(\d{2}):?(\d{2})$/.exec(raw);
          if (m) offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        }
        break;
      }
    }
  });
  if (epochMs !== undefined) return new Date(epochMs);
  if (
    f.month < 1 ||
    f.month > 12 ||
    f.day < 1 ||
    f.day > 31 ||
    f.hour > 23 ||
    f.minute > 59 ||
    f.second > 59
  ) {
    return undefined;
  }
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.ms);
  const check = new Date(wall);
  if (check.getUTCDate() !== f.day) return undefined;
  if (offset !== undefined) return new Date(wall - offset * 60000);
  // Resolve the wall-clock time in the zone: guess with the zone's offset at that instant, then correct once.
  let guess = wall - zonedParts(new Date(wall), timeZone).offsetMinutes * 60000;
  guess = wall - zonedParts(new Date(guess), timeZone).offsetMinutes * 60000;
  return new Date(guess);
}

/** True when `timeZone` is an IANA name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
