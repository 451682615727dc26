/** A mapping timestamp format that cannot be compiled is a ferry error with a code, never INTERNAL. */
import { expect, it } from 'vitest';
import { FerryError } from '../../../engine/errors/ferry-error.js';
import { compileTimestampSql } from '../../../engine/steps/compile-timestamp-sql.js';

const compile = (format: string) =>
  compileTimestampSql({ raw: '"created_at"', format, timezone: 'UTC', pipeline: 'p', column: 'created_at' });

it.each(['YYYY-MM-DD hh:mm', 'X.SSS'])('refuses %j with MAPPING_BAD_TIMESTAMP_FORMAT', (format) => {
  let thrown: unknown;
  try {
    compile(format);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FerryError);
  expect((thrown as FerryError).code).toBe('MAPPING_BAD_TIMESTAMP_FORMAT');
});

it('compiles the token form to strptime', () => {
  expect(compile('YYYY-MM-DD HH:mm')).toContain(
    `try_strptime(CAST("created_at" AS VARCHAR), '%Y-%m-%d %H:%M')`,
  );
});
