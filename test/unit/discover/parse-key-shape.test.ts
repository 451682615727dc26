/**
 * Timestamps in object names → ferry's format tokens (MM month, mm minute) and RE2 patterns, checked
 * both ways: the format reads the text back with ferry's parser, and the pattern (compiled by re2js,
 * the engine `match` runs in) matches exactly the timestamp text.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import {
  findNameTimestamp,
  parseKeyShape,
  timestampPattern,
} from '../../../engine/discover/parse-key-shape.js';
import { parseTimestamp } from '../../../engine/time/timestamp-format.js';

describe('findNameTimestamp', () => {
  it.each([
    ['accounts_20240501.csv', '20240501', 'YYYYMMDD', '2024-05-01T00:00:00.000Z', false],
    ['accounts_2024-05-01.csv', '2024-05-01', 'YYYY-MM-DD', '2024-05-01T00:00:00.000Z', false],
    ['activity_20240501011500.json', '20240501011500', 'YYYYMMDDHHmmss', '2024-05-01T01:15:00.000Z', true],
    [
      'export_2024-05-01T01-15-00.csv',
      '2024-05-01T01-15-00',
      'YYYY-MM-DD[T]HH-mm-ss',
      '2024-05-01T01:15:00.000Z',
      true,
    ],
    [
      'export_2024-05-01T01:15:00Z.csv',
      '2024-05-01T01:15:00Z',
      'YYYY-MM-DD[T]HH:mm:ssZ',
      '2024-05-01T01:15:00.000Z',
      true,
    ],
    [
      'events_20240501T011500Z.ndjson',
      '20240501T011500Z',
      'YYYYMMDD[T]HHmmssZ',
      '2024-05-01T01:15:00.000Z',
      true,
    ],
    ['tracks_20240501_0115.csv', '20240501_0115', 'YYYYMMDD_HHmm', '2024-05-01T01:15:00.000Z', true],
    ['1714531200.json', '1714531200', 'X', '2024-05-01T02:40:00.000Z', true],
    ['dump-1714531200123.ndjson', '1714531200123', 'x', '2024-05-01T02:40:00.123Z', true],
    ['report_202405.csv', '202405', 'YYYYMM', '2024-05-01T00:00:00.000Z', false],
    ['2024/05/01/events.csv', '2024/05/01', 'YYYY/MM/DD', '2024-05-01T00:00:00.000Z', false],
    [
      'dt=2024-05-01/part_20240501_0115.csv',
      '20240501_0115',
      'YYYYMMDD_HHmm',
      '2024-05-01T01:15:00.000Z',
      true,
    ],
  ])('%s → %s as %s', (name, text, format, iso, hasTime) => {
    const found = findNameTimestamp(name);
    expect(found && name.slice(found.start, found.end)).toBe(text);
    expect(found?.format).toBe(format);
    expect(found?.value.toISOString()).toBe(iso);
    expect(found?.hasTime).toBe(hasTime);
    expect(parseTimestamp(text, format, 'UTC')?.toISOString()).toBe(iso);
    const pattern = RE2JS.compile(`^${found?.pattern ?? ''}$`);
    expect(pattern.matches(text)).toBe(true);
    expect(pattern.matches(`${text}0`)).toBe(false);
  });

  it.each([
    ['id_12345678.csv', 'not a real date'],
    ['a_20241301.csv', 'month 13'],
    ['a_20240230.csv', 'February 30'],
    ['a_18991231.csv', 'before 1990'],
    ['a_123456789012345.csv', 'a 15-digit number'],
    ['a_2024050113.csv', 'ten digits starting with 2: not Unix seconds, not a whole date'],
    ['part-0001.parquet', 'a part number'],
  ])('%s has no timestamp (%s)', (name) => {
    expect(findNameTimestamp(name)).toBeUndefined();
  });

  it('a date whose time part is impossible falls back to the date', () => {
    expect(findNameTimestamp('x_20240501_9999.csv')?.format).toBe('YYYYMMDD');
  });
});

describe('timestampPattern', () => {
  it('merges digit runs and escapes literals', () => {
    expect(timestampPattern('YYYYMMDDHHmmss')).toBe('\\d{14}');
    expect(timestampPattern('YYYY.MM.DD[T]HH')).toBe('\\d{4}\\.\\d{2}\\.\\d{2}T\\d{2}');
  });
});

describe('parseKeyShape', () => {
  it('gives names of one family the same key, and others another', () => {
    const a = parseKeyShape('accounts/accounts_20240501.csv');
    expect(a.key).toBe('accounts/accounts_{ts:YYYYMMDD}.csv');
    expect(parseKeyShape('accounts/accounts_20240502.csv').key).toBe(a.key);
    expect(parseKeyShape('accounts/accounts_2024-05-02.csv').key).not.toBe(a.key);
    expect(parseKeyShape('parts/part-0001.csv').key).toBe('parts/part-{n}.csv');
  });
});
