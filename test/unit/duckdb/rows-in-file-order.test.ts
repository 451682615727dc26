/**
 * A batch table serves its files only when each file's rows lie together, one file after the other
 * in file order (batch-source-sql.ts): the CSV and Parquet batches both ask rowsInFileOrder.
 */
import { describe, expect, it } from 'vitest';
import { rowsInFileOrder } from '../../../engine/duckdb/batch-source-sql.js';

describe('rowsInFileOrder', () => {
  it('accepts files whose rows follow one another, and files with no rows', () => {
    expect(rowsInFileOrder([])).toBe(true);
    expect(
      rowsInFileOrder([
        { lo: 0, hi: 2, rows: 3 },
        undefined,
        { lo: 3, hi: 3, rows: 1 },
        { lo: 10, hi: 11, rows: 2 },
      ]),
    ).toBe(true);
  });

  it('refuses a file whose rows are split, overlap the one before, or come before it', () => {
    // Rows 0…3 but only 3 of them: another file's row lies between.
    expect(rowsInFileOrder([{ lo: 0, hi: 3, rows: 3 }])).toBe(false);
    expect(
      rowsInFileOrder([
        { lo: 0, hi: 2, rows: 3 },
        { lo: 2, hi: 4, rows: 3 },
      ]),
    ).toBe(false);
    expect(rowsInFileOrder([{ lo: 5, hi: 6, rows: 2 }, undefined, { lo: 0, hi: 1, rows: 2 }])).toBe(false);
  });
});
