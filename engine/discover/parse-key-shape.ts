/**
 * The shape of an object name, for `ferry discover`: literal text, one timestamp, and other digit
 * runs. `accounts_20240501.csv` and `accounts_20240502.csv` have the same shape
 * (`accounts_{ts:YYYYMMDD}.csv`), so they are one family; the timestamp becomes the `timestamp`
 * group of the proposed `match`, with its `timestamp_format` in ferry's tokens (MM month, mm minute).
 *
 * Recognised: dates (YYYYMMDD, YYYY-MM-DD, with `_`, `.` or `/` too), a time after them (HHmm,
 * HHmmss, HH-mm-ss, HH:mm:ss, …, joined by nothing, T, `_`, `-` or a space, with an optional Z),
 * months (YYYYMM, YYYY-MM) and Unix seconds or milliseconds (10 or 13 digits starting with 1:
 * 2001–2033). Values must be real dates between 1990 and 2099, so an id like 12345678 is not a date.
 * The longest timestamp in a name wins (a file's date-time over its folder's date).
 */

export interface NameTimestamp {
  /** Character range in the name. */
  start: number;
  end: number;
  /** ferry's timestamp format, e.g. `YYYYMMDD[T]HHmmssZ`. */
  format: string;
  /** An RE2 pattern for the text (no group), e.g. `\d{8}T\d{6}Z`. */
  pattern: string;
  value: Date;
  /** Whether the timestamp has a time of day (or is Unix time): a sequence, not a daily date. */
  hasTime: boolean;
}

export type ShapeToken =
  { kind: 'text'; text: string } | { kind: 'timestamp' } | { kind: 'number'; text: string };

export interface KeyShape {
  tokens: ShapeToken[];
  timestamp?: NameTimestamp;
  /** Same for every name of a family: text, `{ts:FORMAT}` and `{n}` for other digit runs. */
  key: string;
}

const DATE_TIME =
  /(?<![0-9])(\d{4})([-_./]?)(\d{2})\2(\d{2})(?:([T_ -]?)(\d{2})([-:_.]?)(\d{2})(?:\7(\d{2}))?(Z)?)?(?![0-9])/g;
const MONTH = /(?<![0-9])(\d{4})([-_]?)(\d{2})(?![0-9])/g;
const UNIX = /(?<![0-9])(1\d{9}|1\d{12})(?![0-9])/g;

const MIN_YEAR = 1990;
const MAX_YEAR = 2099;

const REGEX_SPECIAL = /[\\^$.|?*+()[\]{}]/g;

export function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** An RE2 pattern for text in `format` (ferry tokens; literal text in [brackets] or non-letters). */
export function timestampPattern(format: string): string {
  const widths: Record<string, string> = { YYYY: '\\d{4}', MM: '\\d{2}', DD: '\\d{2}', HH: '\\d{2}' };
  let out = '';
  for (let i = 0; i < format.length;) {
    const rest = format.slice(i);
    const bracket = /^\[([^\]]*)\]/.exec(rest);
    const token = /^(YYYY|MM|DD|HH|mm|ss|X|x|Z)/.exec(rest)?.[1];
    if (bracket) {
      out += escapeRegex(bracket[1] ?? '');
      i += bracket[0].length;
    } else if (token !== undefined) {
      out += widths[token] ?? { mm: '\\d{2}', ss: '\\d{2}', X: '\\d{10}', x: '\\d{13}', Z: 'Z' }[token] ?? '';
      i += token.length;
    } else {
      out += escapeRegex(format[i] ?? '');
      i += 1;
    }
  }
  // \d{4}\d{2}\d{2} reads better as \d{8}.
  return out.replace(
    /(?:\\d\{\d+\}){2,}/g,
    (run) => `\\d{${[...run.matchAll(/\d+/g)].reduce((sum, m) => sum + Number(m[0]), 0)}}`,
  );
}

const WIDTHS: Record<string, number> = { YYYY: 4, MM: 2, DD: 2, HH: 2, mm: 2, ss: 2, X: 10, x: 13 };

/**
 * Reads text in one of the formats this module writes (fixed-width tokens, non-letter literals,
 * `[T]`, `Z`) as UTC; undefined for an impossible date. A fast path for every name of a listing:
 * group-families checks each family once with ferry's own parser too.
 */
function readUtc(text: string, format: string): Date | undefined {
  const f: Record<string, number> = { YYYY: 0, MM: 1, DD: 1, HH: 0, mm: 0, ss: 0 };
  let at = 0;
  for (const [token] of format.matchAll(/\[[^\]]*\]|YYYY|MM|DD|HH|mm|ss|X|x|Z|./g)) {
    const width = WIDTHS[token];
    if (width !== undefined) {
      const value = Number(text.slice(at, at + width));
      if (token === 'X' || token === 'x') return new Date(token === 'X' ? value * 1000 : value);
      f[token] = value;
      at += width;
    } else {
      at += token.startsWith('[') ? token.length - 2 : 1;
    }
  }
  const { YYYY: y = 0, MM: mo = 1, DD: d = 1, HH: h = 0, mm: mi = 0, ss: sec = 0 } = f;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return undefined;
  const value = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  return value.getUTCDate() === d ? value : undefined;
}

const patterns = new Map<string, string>();

function candidate(start: number, text: string, format: string, hasTime: boolean): NameTimestamp | undefined {
  const value = readUtc(text, format);
  if (!value) return undefined;
  const year = value.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) return undefined;
  let pattern = patterns.get(format);
  if (pattern === undefined) patterns.set(format, (pattern = timestampPattern(format)));
  return { start, end: start + text.length, format, pattern, value, hasTime };
}

function dateTimeCandidates(name: string): NameTimestamp[] {
  const found: NameTimestamp[] = [];
  for (const m of name.matchAll(DATE_TIME)) {
    const [whole, , sep = '', , , joiner = '', hour, timeSep = '', , second, zulu] = m;
    const start = m.index;
    const date = `YYYY${sep}MM${sep}DD`;
    if (hour !== undefined) {
      const time = `HH${timeSep}mm${second !== undefined ? `${timeSep}ss` : ''}`;
      const format = `${date}${joiner === 'T' ? '[T]' : joiner}${time}${zulu ? 'Z' : ''}`;
      const full = candidate(start, whole, format, true);
      if (full) {
        found.push(full);
        continue;
      }
    }
    // The time part did not read (or there is none): the date alone, if it stands on its own.
    const dateText = whole.slice(0, 8 + 2 * sep.length);
    const after = name[start + dateText.length];
    if (after === undefined || !/[0-9]/.test(after)) {
      const dateOnly = candidate(start, dateText, date, false);
      if (dateOnly) found.push(dateOnly);
    }
  }
  return found;
}

function otherCandidates(name: string): NameTimestamp[] {
  const found: NameTimestamp[] = [];
  for (const m of name.matchAll(MONTH)) {
    const month = candidate(m.index, m[0], `YYYY${m[2] ?? ''}MM`, false);
    if (month) found.push(month);
  }
  for (const m of name.matchAll(UNIX)) {
    const unix = candidate(m.index, m[0], m[0].length === 10 ? 'X' : 'x', true);
    if (unix) found.push(unix);
  }
  return found;
}

/** The name's timestamp: the longest candidate, the rightmost among equals (the file over its folder). */
export function findNameTimestamp(name: string): NameTimestamp | undefined {
  let best: NameTimestamp | undefined;
  for (const c of [...dateTimeCandidates(name), ...otherCandidates(name)]) {
    const length = c.end - c.start;
    if (
      !best ||
      length > best.end - best.start ||
      (length === best.end - best.start && c.start > best.start)
    ) {
      best = c;
    }
  }
  return best;
}

function pushText(tokens: ShapeToken[], text: string): void {
  for (const part of text.split(/(\d+)/)) {
    if (part === '') continue;
    tokens.push(/^\d+$/.test(part) ? { kind: 'number', text: part } : { kind: 'text', text: part });
  }
}

/** Splits a name into text, its timestamp and other digit runs. */
export function parseKeyShape(name: string): KeyShape {
  const timestamp = findNameTimestamp(name);
  const tokens: ShapeToken[] = [];
  if (timestamp) {
    pushText(tokens, name.slice(0, timestamp.start));
    tokens.push({ kind: 'timestamp' });
    pushText(tokens, name.slice(timestamp.end));
  } else {
    pushText(tokens, name);
  }
  const key = tokens
    .map((t) =>
      t.kind === 'text' ? t.text : t.kind === 'number' ? '{n}' : `{ts:${timestamp?.format ?? ''}}`,
    )
    .join('');
  return { tokens, key, ...(timestamp ? { timestamp } : {}) };
}
