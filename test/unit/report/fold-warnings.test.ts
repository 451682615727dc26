/**
 * foldWarnings: the first three warnings of each code, in their order; the rest counted per code.
 */
import { describe, expect, it } from 'vitest';
import { foldedWarningsLine, foldWarnings } from '../../../engine/report/fold-warnings.js';

const w = (code: string, n: number) => ({ code, message: `${code} ${n}` });

describe('foldWarnings', () => {
  it('shows every warning when no code comes more than three times', () => {
    const warnings = [w('A', 1), w('B', 1), w('A', 2), w('A', 3)];
    expect(foldWarnings(warnings)).toEqual({ shown: warnings, folded: [] });
  });

  it('shows the first three of a code, in order among the others, and counts the rest per code', () => {
    const warnings = [w('A', 1), w('B', 1), w('A', 2), w('A', 3), w('A', 4), w('C', 1), w('A', 5)];
    const many = [...warnings, ...[2, 3, 4, 5, 6].map((n) => w('C', n))];
    expect(foldWarnings(many)).toEqual({
      shown: [w('A', 1), w('B', 1), w('A', 2), w('A', 3), w('C', 1), w('C', 2), w('C', 3)],
      folded: [
        { code: 'A', count: 2 },
        { code: 'C', count: 3 },
      ],
    });
  });

  it('says how many more and where they all are', () => {
    expect(foldedWarningsLine({ code: 'A', count: 1 })).toBe(
      '… and 1 more A warning like it (the JSON plan lists every one)',
    );
    expect(foldedWarningsLine({ code: 'A', count: 997 })).toBe(
      '… and 997 more A warnings like them (the JSON plan lists every one)',
    );
  });
});
