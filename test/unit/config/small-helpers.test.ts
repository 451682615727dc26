import { describe, expect, it } from 'vitest';
import { checkSqlFragment } from '../../../engine/config/count-sql-statements.js';
import { normalizeFilenameTemplate } from '../../../engine/config/filename-template.js';
import { formatDuration, formatElapsed, parseDuration } from '../../../engine/config/parse-duration.js';
import { suggest } from '../../../engine/config/suggest.js';

describe('checkSqlFragment', () => {
  it.each([
    ["status = 'active'", undefined],
    ["name = 'a;b'", undefined],
    ['"weird;col" > 1', undefined],
    ['x = 1 -- trailing; comment', undefined],
    ['x = 1 /* ; */ and y = 2', undefined],
    ["x = 'it''s'", undefined],
    ['x = 1; drop table t', 'multiple-statements'],
    ['x = 1;', 'multiple-statements'],
    ["x = 'open", 'unterminated'],
    ['x /* open', 'unterminated'],
  ])('%s', (sql, kind) => {
    expect(checkSqlFragment(sql)?.kind).toBe(kind);
  });
});

describe('suggest', () => {
  it('finds near misses and ignores far ones', () => {
    expect(suggest('delimter', ['delimiter', 'quote', 'escape'])).toBe('delimiter');
    expect(suggest('conection', ['connection', 'bucket'])).toBe('connection');
    expect(suggest('zzz', ['connection', 'bucket'])).toBeUndefined();
  });
});

describe('durations', () => {
  it('parses and formats', () => {
    expect(parseDuration('6h')).toBe(6 * 3600_000);
    expect(parseDuration('30m')).toBe(1800_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('6 hours')).toBeUndefined();
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatElapsed(167_026_000)).toBe('1d 22h');
    expect(formatElapsed(61_000)).toBe('1m 1s');
    expect(formatElapsed(0)).toBe('0s');
  });
});

describe('filename templates', () => {
  it("accepts the seed's {TIMESTAMP} form", () => {
    expect(normalizeFilenameTemplate('lytics-events-{TIMESTAMP}')).toBe('lytics-events-{{timestamp}}');
    expect(normalizeFilenameTemplate('a-{{timestamp}}-{TIMESTAMP}')).toBe('a-{{timestamp}}-{{timestamp}}');
  });
});
