/** Quarantined source files in selection (docs/guards.md): skipped per pick, taken again when changed or allowed. */
import { describe, expect, it } from 'vitest';
import type { S3Source } from '../../../engine/config/model.js';
import { selectFiles, type ListedObject } from '../../../engine/plan/select-files.js';
import { emptyPipelineState, type PipelineState } from '../../../engine/state/pipeline-state.js';

const base: S3Source = {
  kind: 's3',
  connection: 'c',
  bucket: 'b',
  prefix: 'in/',
  match: '^data_(?P<timestamp>\\d{8})\\.csv$',
  timestampFormat: 'YYYYMMDD',
  pick: 'all-new',
  maxFiles: 1000,
  order: 'key',
  onChanged: 'reprocess',
  format: { kind: 'parquet' },
  compression: 'auto',
};

const object = (key: string, etag = key): ListedObject => ({
  key,
  etag,
  size: 10,
  lastModified: new Date('2026-01-01T00:00:00Z'),
});

const listing = [
  object('in/data_20260101.csv'),
  object('in/data_20260102.csv'),
  object('in/data_20260103.csv'),
];

function quarantine(key: string, guards?: string[]): PipelineState {
  return {
    ...emptyPipelineState('p'),
    quarantined: [
      {
        key,
        etag: key,
        size: 10,
        code: guards ? 'GUARD_TRIPPED' : 'CHECK_FAILED',
        message: 'refused',
        at: '2026-01-02T00:00:00Z',
        runId: 'r1',
        ...(guards ? { guards } : {}),
      },
    ],
  };
}

const now = new Date('2026-01-10T12:00:00Z');
const pickOf = (pick: S3Source['pick'], state: PipelineState, objects = listing, allow?: string[]) =>
  selectFiles({ ...base, pick }, objects, state, { now, ...(allow ? { allow: new Set(allow) } : {}) });
const keys = (s: { selected: ListedObject[] }) => s.selected.map((c) => c.key);

describe('quarantined files', () => {
  const state = quarantine('in/data_20260102.csv', ['max_removed']);

  it('all-new skips the quarantined file and takes the others', () => {
    const s = pickOf('all-new', state);
    expect(keys(s)).toEqual(['in/data_20260101.csv', 'in/data_20260103.csv']);
    expect(s.skipped).toEqual([
      { key: 'in/data_20260102.csv', reason: 'quarantined', detail: 'GUARD_TRIPPED: refused' },
    ]);
  });

  it('sequence stops at the quarantined file: later files wait for it', () => {
    const s = pickOf('sequence', state);
    expect(keys(s)).toEqual(['in/data_20260101.csv']);
    expect(s.skipped.map((k) => [k.key, k.reason])).toEqual([
      ['in/data_20260102.csv', 'quarantined'],
      ['in/data_20260103.csv', 'after-quarantined'],
    ]);
  });

  it('newest takes nothing when the newest file is quarantined (never an older one instead)', () => {
    const s = pickOf('newest', quarantine('in/data_20260103.csv', ['min_rows']));
    expect(keys(s)).toEqual([]);
  });

  it('new content under the same key is taken again', () => {
    const replaced = [listing[0], object('in/data_20260102.csv', 'new-etag'), listing[2]] as ListedObject[];
    expect(keys(pickOf('sequence', state, replaced))).toHaveLength(3);
  });

  it('a run allowed every guard that tripped takes it again; another allowance does not', () => {
    expect(keys(pickOf('sequence', state, listing, ['max_removed']))).toHaveLength(3);
    expect(keys(pickOf('sequence', state, listing, ['max_deleted']))).toEqual(['in/data_20260101.csv']);
  });

  it('a file refused by a check is not released by --allow', () => {
    const checked = quarantine('in/data_20260102.csv');
    expect(keys(pickOf('all-new', checked, listing, ['max_removed', 'min_rows']))).toHaveLength(2);
  });
});
