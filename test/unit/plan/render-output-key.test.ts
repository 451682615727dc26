import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { checkObjectKey, MAX_KEY_BYTES, renderOutputKey } from '../../../engine/plan/render-output-key.js';

describe('renderOutputKey', () => {
  it('renders a template under the directory', () => {
    expect(
      renderOutputKey({
        directory: '/exports//daily/',
        template: 'accounts-{{timestamp}}-part{{part}}.csv',
        variables: { timestamp: '20260307', part: 1 },
      }),
    ).toBe('exports/daily/accounts-20260307-part1.csv');
  });

  it('neutralizes path tricks in substituted values', () => {
    const key = renderOutputKey({
      directory: 'out',
      template: '{{source_stem}}.csv',
      variables: { source_stem: '../../etc/passwd' },
    });
    expect(key).toBe('out/___.._etc_passwd.csv');
  });

  it('fails with KEY_UNSAFE when the key grows past 1024 bytes', () => {
    expect(() =>
      renderOutputKey({
        directory: 'out',
        template: '{{source_stem}}',
        variables: { source_stem: 'a'.repeat(2000) },
      }),
    ).toThrow(FerryError);
  });

  it('property: any substituted values give a key under the directory, safe and deterministic', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        fc.constantFrom('out', 'a/b/', '/x/y', ''),
        (stem, field, directory) => {
          const input = {
            directory,
            template: 'f-{{source_stem}}/{{field}}-{{part}}.csv',
            variables: { source_stem: stem, field, part: 3 },
          };
          let key: string;
          try {
            key = renderOutputKey(input);
          } catch (error) {
            // The only acceptable failure is a key that is too long.
            expect((error as FerryError).code).toBe('KEY_UNSAFE');
            expect(Buffer.byteLength(stem) + Buffer.byteLength(field)).toBeGreaterThan(MAX_KEY_BYTES - 100);
            return;
          }
          expect(checkObjectKey(key, directory)).toBeUndefined();
          expect(key.split('/').every((s) => s !== '.' && s !== '..' && s !== '')).toBe(true);
          expect(renderOutputKey(input)).toBe(key);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
