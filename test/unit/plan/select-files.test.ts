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

const object = (key: string, etag = key, size = 10, lastModified = '2026-01-01T00:00:00Z'): ListedObject => ({
  key,
  etag,
  size,
  lastModified: new Date(lastModified),
});

const processed = (state: PipelineState, ...objects: ListedObject[]): PipelineState => ({
  ...state,
  processed: objects.map((o) => ({
    key: o.key,
    etag: o.etag,
    size: o.size,
    lastModified: o.lastModified.toISOString(),
    processedAt: '2026-01-01T00:00:00Z',
    runId: 'r1',
  })),
});

const now = new Date('2026-01-10T12:00:00Z');
const select = (source: Partial<S3Source>, listing: ListedObject[], state = emptyPipelineState('p')) =>
  selectFiles({ ...base, ...source }, listing, state, { now });

describe('selectFiles', () => {
  const listing = [
    object('in/data_20260103.csv'),
    object('in/data_20260101.csv'),
    object('in/notes.txt'),
    object('other/data_20260102.csv'),
    object('in/data_20260102.csv'),
  ];

  it('matches the regex on the key after the prefix, in key order', () => {
    const result = select({}, listing);
    expect(result.matched).toBe(3);
    expect(result.selected.map((c) => c.key)).toEqual([
      'in/data_20260101.csv',
      'in/data_20260102.csv',
      'in/data_20260103.csv',
    ]);
    expect(result.selected[0]?.timestamp?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('skips objects processed with the same key, ETag and size, but re-takes changed ones', () => {
    const state = processed(
      emptyPipelineState('p'),
      object('in/data_20260101.csv'),
      object('in/data_20260102.csv', 'old-etag'),
    );
    const result = select({}, listing, state);
    expect(result.selected.map((c) => c.key)).toEqual(['in/data_20260102.csv', 'in/data_20260103.csv']);
    expect(result.changed).toEqual(['in/data_20260102.csv']);
    expect(result.skipped).toEqual([
      { key: 'in/data_20260101.csv', reason: 'already-processed', detail: 'processed by run r1' },
    ]);
    expect(result.warnings.map((w) => w.code)).toEqual(['SOURCE_FILE_CHANGED']);
  });

  it('with on_changed: skip, leaves a changed object alone and says why', () => {
    const state = processed(emptyPipelineState('p'), object('in/data_20260102.csv', 'old-etag'));
    const result = select({ onChanged: 'skip' }, listing, state);
    expect(result.skipped.map((s) => [s.key, s.reason])).toEqual([
      ['in/data_20260102.csv', 'changed-skipped'],
    ]);
  });

  it('pick newest takes only the newest by the chosen order', () => {
    const byKey = select({ pick: 'newest' }, listing);
    expect(byKey.selected.map((c) => c.key)).toEqual(['in/data_20260103.csv']);
    expect(byKey.skipped.map((s) => s.reason)).toEqual(['not-newest', 'not-newest']);
    const byModified = select({ pick: 'newest', order: 'last-modified' }, [
      object('in/data_20260101.csv', 'a', 1, '2026-01-05T00:00:00Z'),
      object('in/data_20260102.csv', 'b', 1, '2026-01-02T00:00:00Z'),
    ]);
    expect(byModified.selected.map((c) => c.key)).toEqual(['in/data_20260101.csv']);
  });

  it('pick newest does nothing when the newest was processed already', () => {
    const state = processed(emptyPipelineState('p'), object('in/data_20260103.csv'));
    expect(select({ pick: 'newest' }, listing, state).selected).toEqual([]);
  });

  it('caps at max_files and reports the rest for a later run', () => {
    const result = select({ maxFiles: 2 }, listing);
    expect(result.selected).toHaveLength(2);
    expect(result.skipped.map((s) => [s.key, s.reason])).toEqual([
      ['in/data_20260103.csv', 'over-max-files'],
    ]);
  });

  it('reads key timestamps in the zone normalization put on the source', () => {
    const source = { ...base, timezone: 'Europe/Berlin' };
    const result = selectFiles(source, [object('in/data_20260701.csv')], emptyPipelineState('p'), { now });
    expect(result.selected[0]?.timestamp?.toISOString()).toBe('2026-06-30T22:00:00.000Z');
    // Without a zone (a source built by hand), UTC.
    const utc = selectFiles(base, [object('in/data_20260701.csv')], emptyPipelineState('p'), { now });
    expect(utc.selected[0]?.timestamp?.toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  it('reports names whose timestamp does not parse', () => {
    const result = select({}, [object('in/data_20261399.csv')]);
    expect(result.skipped.map((s) => s.reason)).toEqual(['bad-timestamp']);
  });

  describe('sequence', () => {
    const sequence = {
      pick: 'sequence' as const,
      sequence: { expectEveryMs: 86_400_000, graceMs: 3_600_000 },
    };

    it('walks timestamps after the cursor in order, reporting gaps and overdue files', () => {
      const state = {
        ...emptyPipelineState('p'),
        sequenceCursor: { key: 'in/data_20260101.csv', timestamp: '2026-01-01T00:00:00.000Z' },
      };
      const result = select(
        sequence,
        [object('in/data_20260104.csv'), object('in/data_20260102.csv'), object('in/data_20260101.csv')],
        state,
      );
      expect(result.selected.map((c) => c.key)).toEqual(['in/data_20260102.csv', 'in/data_20260104.csv']);
      expect(result.warnings.map((w) => [w.code, w.key])).toEqual([
        ['SEQUENCE_LATE_FILE', 'in/data_20260101.csv'],
        ['SEQUENCE_GAP', 'in/data_20260104.csv'],
        ['SEQUENCE_OVERDUE', undefined],
      ]);
      expect(result.skipped.map((s) => [s.key, s.reason])).toEqual([
        ['in/data_20260101.csv', 'before-cursor'],
      ]);
    });

    it('says how overdue the next file is in days and hours, not seconds', () => {
      const result = selectFiles(
        { ...base, ...sequence },
        [object('in/data_20260104.csv')],
        emptyPipelineState('p'),
        { now: new Date('2026-01-17T04:54:03Z') },
      );
      const overdue = result.warnings.find((w) => w.code === 'SEQUENCE_OVERDUE');
      expect(overdue?.message).toContain(', 13 days 4 hours ago;');
      expect(overdue?.message).toContain('expected every 1d');
    });

    it('is quiet when files arrive on time', () => {
      const result = selectFiles(
        { ...base, ...sequence },
        [object('in/data_20260109.csv'), object('in/data_20260110.csv')],
        emptyPipelineState('p'),
        { now },
      );
      expect(result.warnings).toEqual([]);
    });
  });
});
