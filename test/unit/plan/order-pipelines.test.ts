import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../engine/config/model.js';
import { orderPipelines } from '../../../engine/plan/order-pipelines.js';

const s3Source = { kind: 's3' } as Pipeline['source'];
const s3Sink = { kind: 's3' } as Pipeline['sink'];
const fromDataset = (...datasets: string[]) =>
  ({ kind: 'dataset', datasets }) as unknown as Pipeline['source'];
const toDataset = (dataset: string) => ({ kind: 'dataset', dataset, mode: 'upsert' }) as Pipeline['sink'];
const pipeline = (
  name: string,
  source: Pipeline['source'],
  sink: Pipeline['sink'],
  relations: Record<string, string> = {},
): Pipeline => ({
  name,
  source,
  sink,
  enabled: true,
  origin: { file: 'x', pointer: '' },
  mapping: {
    rename: {},
    cast: {},
    compute: {},
    required: [],
    relations: Object.fromEntries(
      Object.entries(relations).map(([c, d]) => [c, { dataset: d, onMissing: 'count' }]),
    ),
  },
});

describe('orderPipelines', () => {
  it('runs writers of a dataset before its readers, otherwise by name', () => {
    const ordered = orderPipelines([
      pipeline('a-export-accounts', fromDataset('accounts'), s3Sink),
      pipeline('b-files', s3Source, s3Sink),
      pipeline('c-import-users', s3Source, toDataset('users'), { account_id: 'accounts' }),
      pipeline('z-import-accounts', s3Source, toDataset('accounts')),
    ]);
    expect(ordered.map((p) => p.name)).toEqual([
      'b-files',
      'z-import-accounts',
      'a-export-accounts',
      'c-import-users',
    ]);
  });

  it('falls back to name order on a cycle', () => {
    const ordered = orderPipelines([
      pipeline('b', fromDataset('x'), toDataset('y')),
      pipeline('a', fromDataset('y'), toDataset('x')),
    ]);
    expect(ordered.map((p) => p.name)).toEqual(['a', 'b']);
  });
});
