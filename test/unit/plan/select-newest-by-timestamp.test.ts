/**
 * pick: newest with a timestamp in the file name and no `order`: newest is the latest timestamp, not
 * the last key (acc_2026-1-9 sorts after acc_2026-1-10 by key). Goes through normalization, where the
 * default order is decided.
 */
import { describe, expect, it } from 'vitest';
import { normalizePipeline } from '../../../engine/config/normalize-pipeline.js';
import type { Pipeline as PipelineSpec } from '../../../engine/config/pipeline-spec.gen.js';
import { selectFiles, type ListedObject } from '../../../engine/plan/select-files.js';
import { emptyPipelineState } from '../../../engine/state/pipeline-state.js';

const source = (extra: Record<string, unknown>) => {
  const spec = {
    name: 'snap',
    source: {
      kind: 's3',
      connection: 's3',
      bucket: 'vendor',
      prefix: 'snap/',
      pick: 'newest',
      format: { kind: 'csv' },
      ...extra,
    },
    sink: { kind: 's3', connection: 's3', bucket: 'out', format: 'csv' },
  } as unknown as PipelineSpec;
  const pipeline = normalizePipeline(spec, { file: 'pipelines/snap.yaml', pointer: '', project: undefined });
  if (pipeline.source.kind !== 's3') throw new Error('expected an s3 source');
  return pipeline.source;
};

const listing: ListedObject[] = [
  'snap/acc_2026-1-9.csv',
  'snap/acc_2026-1-10.csv',
  'snap/acc_2025-12-31.csv',
].map((key) => ({ key, etag: key, size: 10, lastModified: new Date('2026-01-11T00:00:00Z') }));
const select = (extra: Record<string, unknown>) =>
  selectFiles(source(extra), listing, emptyPipelineState('snap'), { now: new Date('2026-01-11T00:00:00Z') });
const withTimestamp = {
  match: '^acc_(?P<timestamp>\\d{4}-\\d{1,2}-\\d{1,2})\\.csv$',
  timestamp_format: 'YYYY-M-D',
};

describe('pick: newest without order', () => {
  it('takes the latest timestamp when match captures one', () => {
    const result = select(withTimestamp);
    expect(result.selected.map((c) => c.key)).toEqual(['snap/acc_2026-1-10.csv']);
    expect(result.skipped).toEqual([
      {
        key: 'snap/acc_2025-12-31.csv',
        reason: 'not-newest',
        detail: 'newest by timestamp: snap/acc_2026-1-10.csv',
      },
      {
        key: 'snap/acc_2026-1-9.csv',
        reason: 'not-newest',
        detail: 'newest by timestamp: snap/acc_2026-1-10.csv',
      },
    ]);
  });
  it('orders by key when match has no timestamp group, and says so', () => {
    const result = select({ match: '^acc_.*\\.csv$' });
    expect(result.selected.map((c) => c.key)).toEqual(['snap/acc_2026-1-9.csv']);
    expect(result.skipped[0]?.detail).toBe('newest by key: snap/acc_2026-1-9.csv');
  });
  it('an explicit order wins', () => {
    expect(select({ ...withTimestamp, order: 'key' }).selected.map((c) => c.key)).toEqual([
      'snap/acc_2026-1-9.csv',
    ]);
  });
});
