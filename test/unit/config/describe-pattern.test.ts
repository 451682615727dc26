import { describe, expect, it } from 'vitest';
import { readConfigSchema } from '../../../engine/config/config-schemas.js';
import { describePattern } from '../../../engine/config/describe-pattern.js';

function collectPatterns(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((item) => collectPatterns(item, out));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' && typeof value === 'string') out.add(value);
      else collectPatterns(value, out);
    }
  }
  return out;
}

describe('describePattern', () => {
  it('has words for every pattern in the schemas', () => {
    const patterns = collectPatterns([readConfigSchema('ferry'), readConfigSchema('pipeline')], new Set());
    expect(patterns.size).toBeGreaterThan(5);
    expect([...patterns].filter((p) => describePattern(p) === undefined)).toEqual([]);
  });

  it.each([
    ['^[a-z0-9][a-z0-9_-]{0,62}$', 'Accounts CSV', 'accounts-csv'],
    ['^[a-z0-9][a-z0-9_-]{0,62}$', '--', undefined],
    ['^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'Vendor_Drops', 'vendor-drops'],
    ['^([01][0-9]|2[0-3]):[0-5][0-9]$', '6:00', '06:00'],
    ['^([01][0-9]|2[0-3]):[0-5][0-9]$', '25:00', undefined],
    ['^[A-Za-z_][A-Za-z0-9_]{0,254}$', 'Account ID', 'account_id'],
  ])('suggests a fix for %s / %j', (pattern, value, fix) => {
    expect(describePattern(pattern)?.fix?.(value)).toBe(fix);
  });
});
