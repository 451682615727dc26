import { expect, it } from 'vitest';
import { recordOfRow } from '../../../engine/steps/step-context.js';

it('maps a loaded row back to its record number in the file, around rejected records', () => {
  // Records: 1 header, 2 ok, 3 rejected, 4 ok, 5 rejected, 6 rejected, 7 ok. Second file: rows start after 10.
  const file = {
    key: 'a.csv',
    rowsLoaded: 3,
    rowsRejected: 3,
    offset: 10,
    records: { header: true, rejectedRecords: [3, 5, 6] },
  };
  expect([11, 12, 13].map((row) => recordOfRow(file, row))).toEqual([2, 4, 7]);
  const noHeader = { ...file, records: { header: false, rejectedRecords: [1] } };
  expect(recordOfRow(noHeader, 11)).toBe(2);
  // Unknown when some rejects were not kept in detail.
  expect(recordOfRow({ key: 'b.csv', rowsLoaded: 1, rowsRejected: 5000, offset: 0 }, 1)).toBeNull();
});
