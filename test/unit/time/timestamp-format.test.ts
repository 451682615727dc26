import { describe, expect, it } from 'vitest';
import {
  compileTimestampFormat,
  compileTimestampParser,
  formatTimestamp,
  isValidTimeZone,
  parseTimestamp,
  TimestampFormatError,
} from '../../../engine/time/timestamp-format.js';

const instant = new Date('2026-03-07T09:05:03.042Z');

describe('formatTimestamp', () => {
  it.each([
    ['YYYYMMDDHHmmss', 'UTC', '20260307090503'],
    ['YYYY-MM-DD[T]HH:mm:ss.SSSZ', 'UTC', '2026-03-07T09:05:03.042+00:00'],
    ['YYYY-MM-DD HH:mm Z', 'Europe/Berlin', '2026-03-07 10:05 +01:00'],
    ['YYYY-MM-DD HH:mm Z', 'America/New_York', '2026-03-07 04:05 -05:00'],
    ['D/M/YY H', 'UTC', '7/3/26 9'],
    ['X', 'UTC', '1772874303'],
    ['x', 'Asia/Tokyo', '1772874303042'],
    ['[MM=month, mm=minute:] MM mm', 'UTC', 'MM=month, mm=minute: 03 05'],
  ])('%s in %s', (format, zone, expected) => {
    expect(formatTimestamp(instant, format, zone)).toBe(expected);
  });

  it('tells MM (month) and mm (minute) apart, as the seed defines', () => {
    expect(formatTimestamp(new Date('2026-11-22T10:45:00Z'), 'MM-mm', 'UTC')).toBe('11-45');
  });

  it('rejects unknown letters with their position', () => {
    expect(() => compileTimestampFormat('yyyyMMdd')).toThrow(TimestampFormatError);
    try {
      compileTimestampFormat('YYYY-hh');
    } catch (error) {
      expect((error as TimestampFormatError).index).toBe(5);
    }
  });
});

describe('parseTimestamp', () => {
  it('round-trips in a zone, including across DST', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
      for (const iso of ['2026-03-29T00:30:00Z', '2026-07-01T12:00:00Z', '2026-10-25T03:15:00Z']) {
        const date = new Date(iso);
        const text = formatTimestamp(date, 'YYYYMMDDHHmmssZ', zone);
        expect(parseTimestamp(text, 'YYYYMMDDHHmmssZ', zone)?.toISOString()).toBe(date.toISOString());
      }
    }
  });

  it('reads wall-clock time in the given zone', () => {
    expect(parseTimestamp('20260701', 'YYYYMMDD', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-06-30T22:00:00.000Z',
    );
  });

  // The hour after a fall-back happens twice. One rule in every zone: the later instant (standard
  // time), as DuckDB reads mapping timestamps. Before, Berlin took the later and New York the earlier.
  it.each([
    ['Europe/Berlin', '2026-10-25 02:30', '2026-10-25T01:30:00.000Z'],
    ['America/New_York', '2026-11-01 01:30', '2026-11-01T06:30:00.000Z'],
    ['Australia/Lord_Howe', '2026-04-05 01:45', '2026-04-04T15:15:00.000Z'],
  ])('a repeated wall-clock time in %s is the later instant', (zone, text, iso) => {
    expect(parseTimestamp(text, 'YYYY-MM-DD HH:mm', zone)?.toISOString()).toBe(iso);
  });

  it.each([
    ['Europe/Berlin', '2026-03-29 02:30', '2026-03-29T01:30:00.000Z'],
    ['America/New_York', '2026-03-08 02:30', '2026-03-08T07:30:00.000Z'],
  ])('a skipped wall-clock time in %s moves forward by the gap', (zone, text, iso) => {
    expect(parseTimestamp(text, 'YYYY-MM-DD HH:mm', zone)?.toISOString()).toBe(iso);
  });

  it('reads years before 100 as written (0024 is 24, not 1924), in UTC and in a zone', () => {
    expect(parseTimestamp('00240301', 'YYYYMMDD', 'UTC')?.toISOString()).toBe('0024-03-01T00:00:00.000Z');
    const berlin = parseTimestamp('0024-03-01 12:00', 'YYYY-MM-DD HH:mm', 'Europe/Berlin');
    expect(berlin?.getUTCFullYear()).toBe(24);
    expect(formatTimestamp(berlin ?? new Date(NaN), 'YYYY-MM-DD HH:mm', 'Europe/Berlin')).toBe(
      '0024-03-01 12:00',
    );
    // Feb 29 of year 24 exists (a leap year); of 1924 too, but of year 25 not.
    expect(parseTimestamp('00250229', 'YYYYMMDD', 'UTC')).toBeUndefined();
  });

  it('compiles a format once: the same format gives the same parser', () => {
    const parts = compileTimestampFormat('YYYYMMDD');
    expect(compileTimestampParser('YYYYMMDDHHmm')).toBe(compileTimestampParser('YYYYMMDDHHmm'));
    expect(compileTimestampParser(parts)).toBe(compileTimestampParser(parts));
    expect(compileTimestampParser(parts).parse('20260701', 'UTC')?.toISOString()).toBe(
      '2026-07-01T00:00:00.000Z',
    );
  });

  it('refuses impossible dates and non-matching text', () => {
    expect(parseTimestamp('20260231', 'YYYYMMDD', 'UTC')).toBeUndefined();
    expect(parseTimestamp('2026-01-01', 'YYYYMMDD', 'UTC')).toBeUndefined();
    expect(parseTimestamp('2026-03-07 10:05 +05:99', 'YYYY-MM-DD HH:mm Z', 'UTC')).toBeUndefined();
    expect(parseTimestamp('2026-03-07 10:05 +05:59', 'YYYY-MM-DD HH:mm Z', 'UTC')?.toISOString()).toBe(
      '2026-03-07T04:06:00.000Z',
    );
  });
});

it('knows IANA zones', () => {
  expect(isValidTimeZone('Europe/Berlin')).toBe(true);
  expect(isValidTimeZone('Mars/Olympus')).toBe(false);
});
