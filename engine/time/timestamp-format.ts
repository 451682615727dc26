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

import { MINUTE_MS, remember, resolveWallTime, utcMs, zonedParts } from './zoned-time.js';

export { isValidTimeZone } from './zoned-time.js';

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

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatOffset(offsetMs: number): string {
  const minutes = Math.round(offsetMs / MINUTE_MS);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

const compiledFormats = new Map<string, readonly FormatPart[]>();

function partsOf(format: string | readonly FormatPart[]): readonly FormatPart[] {
  if (typeof format !== 'string') return format;
  return compiledFormats.get(format) ?? remember(compiledFormats, format, compileTimestampFormat(format));
}

/** Format an instant in an IANA time zone. */
export function formatTimestamp(
  date: Date,
  format: string | readonly FormatPart[],
  timeZone: string,
): string {
  const z = zonedParts(date, timeZone);
  return partsOf(format)
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
          return formatOffset(z.offsetMs);
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

/** A format compiled for reading: get one with compileTimestampParser (cached per format). */
export interface TimestampParser {
  readonly format: string | readonly FormatPart[];
  /** See parseTimestamp. */
  parse(text: string, timeZone: string): Date | undefined;
}

const parsersByFormat = new Map<string, TimestampParser>();
const parsersByParts = new WeakMap<readonly FormatPart[], TimestampParser>();

function createParser(format: string | readonly FormatPart[]): TimestampParser {
  const tokens: TimestampToken[] = [];
  const source = partsOf(format)
    .map((p) => {
      if (p.kind === 'literal') return p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      tokens.push(p.token);
      return TOKEN_PATTERN[p.token];
    })
    .join('');
  const pattern = new RegExp(`^${source}$`);
  return { format, parse: (text, timeZone) => readTimestamp(pattern.exec(text), tokens, timeZone) };
}

/**
 * The parser of a format, built once: the same format (string, or compiled parts object) gives the
 * same parser, so reading thousands of keys compiles its pattern once. Throws TimestampFormatError.
 */
export function compileTimestampParser(format: string | readonly FormatPart[]): TimestampParser {
  if (typeof format === 'string') {
    return parsersByFormat.get(format) ?? remember(parsersByFormat, format, createParser(format));
  }
  let parser = parsersByParts.get(format);
  if (!parser) {
    parser = createParser(format);
    parsersByParts.set(format, parser);
  }
  return parser;
}

interface ParsedFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Minutes east of UTC, when the text has an offset. */
  offset?: number;
  /** When the text is an epoch (X, x). */
  epochMs?: number;
}

function readFields(match: RegExpExecArray, tokens: readonly TimestampToken[]): ParsedFields {
  const f: ParsedFields = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
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
        f.epochMs = n * 1000;
        break;
      case 'x':
        f.epochMs = n;
        break;
      case 'Z': {
        const m = /^([+-])(\d{2}):?(\d{2})$/.exec(raw);
        if (raw === 'Z') f.offset = 0;
        // An offset's minutes stop at 59 (`+05:99` is no offset): NaN makes the text not a timestamp.
        else if (m) {
          f.offset =
            Number(m[3]) > 59 ? Number.NaN : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        }
        break;
      }
    }
  });
  return f;
}

/**
 * Parse text written in `format`, interpreting wall-clock fields in `timeZone` (unless the text has
 * an offset). Returns undefined when the text does not match or names an impossible date.
 *
 * A wall-clock time the zone repeats (the hour after a fall-back) reads as the **later** instant, and
 * one the zone skips (the hour of a spring-forward) is moved forward by the gap, in every zone: the
 * rule DuckDB (ICU) applies to mapping timestamps, so a key's timestamp and a column's agree.
 */
export function parseTimestamp(
  text: string,
  format: string | readonly FormatPart[],
  timeZone: string,
): Date | undefined {
  return compileTimestampParser(format).parse(text, timeZone);
}

function readTimestamp(
  match: RegExpExecArray | null,
  tokens: readonly TimestampToken[],
  timeZone: string,
): Date | undefined {
  if (!match) return undefined;
  const f = readFields(match, tokens);
  if (f.epochMs !== undefined) return new Date(f.epochMs);
  if (
    f.month < 1 ||
    f.month > 12 ||
    f.day < 1 ||
    f.day > 31 ||
    f.hour > 23 ||
    f.minute > 59 ||
    f.second > 59 ||
    Number.isNaN(f.offset)
  ) {
    return undefined;
  }
  const wall = utcMs(f.year, f.month, f.day, f.hour, f.minute, f.second, f.ms);
  if (new Date(wall).getUTCDate() !== f.day) return undefined;
  if (f.offset !== undefined) return new Date(wall - f.offset * MINUTE_MS);
  return new Date(resolveWallTime(wall, timeZone));
}
