import { describe, expect, it } from 'vitest';
import {
  compileTimestampFormat,
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

  it('refuses impossible dates and non-matching text', () => {
    expect(parseTimestamp('20260231', 'YYYYMMDD', 'UTC')).toBeUndefined();
    expect(parseTimestamp('2026-01-01', 'YYYYMMDD', 'UTC')).toBeUndefined();
  });
});

it('knows IANA zones', () => {
  expect(isValidTimeZone('Europe/Berlin')).toBe(true);
  expect(isValidTimeZone('Mars/Olympus')).toBe(false);
});
