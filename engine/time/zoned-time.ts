/**
 * Wall-clock time in IANA zones with nothing but Intl: an instant's fields and offset in a zone, and
 * the instant of a wall-clock time, with one rule for times a zone repeats or skips (see
 * resolveWallTime). Formatters are built once per zone.
 */

import { IANA_ZONE_NAMES } from './iana-zone-names.gen.js';

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The zone's UTC offset at that instant, in milliseconds (historic offsets have seconds). */
  offsetMs: number;
}

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Milliseconds since the epoch of a UTC wall-clock time. Unlike Date.UTC, years 0–99 stay what they
 * say (Date.UTC(24, …) is 1924).
 */
export function utcMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

/** Compiled once per zone and per format: building them is the slow part of formatting and parsing. */
const CACHE_LIMIT = 256;
const formatterCache = new Map<string, Intl.DateTimeFormat>();

export function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  // Formats and zones come from configuration, so there are few; the cap only bounds a pathological caller.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

export function zonedParts(date: Date, timeZone: string): ZonedParts {
  const formatter =
    formatterCache.get(timeZone) ??
    remember(
      formatterCache,
      timeZone,
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }),
    );
  const formatted = formatter.formatToParts(date);
  const get = (type: string) => Number(formatted.find((p) => p.type === type)?.value);
  // Intl counts years by era (1 BC is year 0 astronomically).
  const bc = formatted.find((p) => p.type === 'era')?.value === 'BC';
  const parts = {
    year: bc ? 1 - get('year') : get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
  const asUtc = utcMs(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second);
  return { ...parts, offsetMs: asUtc - Math.floor(date.getTime() / 1000) * 1000 };
}

/**
 * The instant of a wall-clock time (given as if it were UTC) in a zone. The zone's offsets a day
 * before and a day after give the candidates; a candidate is real when the zone has that offset at
 * that instant. Two real ones: a repeated time, take the later. None: a skipped time, read it with
 * the offset from before the transition, which moves it forward by the gap. This is the rule DuckDB
 * (ICU) applies in timezone(zone, TIMESTAMP), so key and column timestamps agree.
 */
export function resolveWallTime(wall: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return wall;
  const before = zonedParts(new Date(wall - DAY_MS), timeZone).offsetMs;
  const after = zonedParts(new Date(wall + DAY_MS), timeZone).offsetMs;
  // No transition near: one offset (no zone changes and changes back within two days).
  if (before === after) return wall - before;
  const real = [...new Set([wall - before, wall - after])].filter(
    (instant) => zonedParts(new Date(instant), timeZone).offsetMs === wall - instant,
  );
  return real.length ? Math.max(...real) : wall - before;
}

let ianaNames: ReadonlySet<string> | undefined;

/**
 * True when `timeZone` is a name in the IANA tz database (zones and their links, such as
 * Europe/Berlin, UTC, EST, Etc/GMT+5, US/Eastern; spelled exactly) that this runtime knows. Intl alone
 * is not enough: ICU also accepts its legacy Java IDs (BST is Asia/Dhaka, IST Asia/Kolkata, PST
 * America/Los_Angeles), SystemV/* IDs and any letter case, none of which are IANA names.
 */
export function isValidTimeZone(timeZone: string): boolean {
  // Canonical names of this runtime's ICU count too, so a zone newer than the generated list passes.
  ianaNames ??= new Set([...IANA_ZONE_NAMES, ...Intl.supportedValuesOf('timeZone')]);
  if (!ianaNames.has(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A change of a zone's UTC offset: at `at` (ms) the offset goes from `fromMs` to `toMs`. */
export interface OffsetChange {
  at: number;
  fromMs: number;
  toMs: number;
}

/** Probe step when looking for offset changes; real zones do not change twice within it. */
const OFFSET_PROBE_MS = 6 * 3_600_000;

/**
 * The zone's offset changes in (after, until], oldest first, each at the first second with the new
 * offset. Probes every `probeMs` (6 hours by default) and bisects where the offset differs, so a
 * change that is undone within one probe would be missed (no zone in tzdata does that within 6 hours
 * since 1970; a caller scanning a year for clock changes may probe weekly).
 */
export function offsetChanges(
  after: number,
  until: number,
  timeZone: string,
  probeMs: number = OFFSET_PROBE_MS,
): OffsetChange[] {
  const changes: OffsetChange[] = [];
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC' || until <= after) return changes;
  const offsetAt = (ms: number) => zonedParts(new Date(ms), timeZone).offsetMs;
  let lo = after;
  let loOffset = offsetAt(lo);
  while (lo < until) {
    const hi = Math.min(lo + probeMs, until);
    const hiOffset = offsetAt(hi);
    if (hiOffset !== loOffset)
      changes.push({ at: firstSecondWith(hiOffset, lo, hi, offsetAt), fromMs: loOffset, toMs: hiOffset });
    lo = hi;
    loOffset = hiOffset;
  }
  return changes;
}

/** Bisects (lo, hi] down to the first whole second whose offset is `offset` (hi has it, lo does not). */
function firstSecondWith(offset: number, lo: number, hi: number, offsetAt: (ms: number) => number): number {
  let low = Math.floor(lo / 1000);
  let high = Math.ceil(hi / 1000);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(mid * 1000) === offset) high = mid;
    else low = mid;
  }
  return high * 1000;
}
