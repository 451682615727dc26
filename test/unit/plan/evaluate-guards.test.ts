/** Guard arithmetic (docs/guards.md): counts vs limits, percentages of the previous row count, the mirror default. */
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../engine/config/model.js';
import type { DatasetEffect } from '../../../engine/plan/dataset-effect.js';
import { evaluateGuards } from '../../../engine/plan/evaluate-guards.js';
import { emptyCounts } from '../../../engine/state/pipeline-state.js';

const pipeline = (extra: Partial<Pipeline>): Pipeline => ({ name: 'p', ...extra }) as Pipeline;
const effect = (extra: Partial<DatasetEffect>): DatasetEffect => ({
  dataset: 'd',
  mode: 'mirror',
  created: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  unmatched: 0,
  deleted: 0,
  superseded: 0,
  rows: 0,
  version: 2,
  missingRelations: [],
  ...extra,
});
const none = new Set<string>();

describe('evaluateGuards', () => {
  it('max_removed as a percentage of the previous snapshot trips only above it', () => {
    const p = pipeline({
      diff: { key: ['id'] },
      guards: { max_removed: { kind: 'percent', value: 20 } },
    });
    const at = (removed: number) =>
      evaluateGuards(p, {
        counts: { ...emptyCounts(), rowsRemoved: removed },
        dataset: undefined,
        snapshotRows: 100,
        previousRowsRead: undefined,
        allow: none,
      })[0];
    expect(at(20)).toMatchObject({ tripped: false, limit: 20, base: 100 });
    expect(at(21)).toMatchObject({ tripped: true, allowed: false });
  });

  it('a percentage with no previous rows (first run) is not checked; a count is', () => {
    const p = pipeline({ guards: { min_rows: { kind: 'percent', value: 80 } } });
    const input = {
      counts: { ...emptyCounts(), rowsRead: 1 },
      dataset: undefined,
      snapshotRows: undefined,
      previousRowsRead: undefined,
      allow: none,
    };
    expect(evaluateGuards(p, input)).toEqual([]);
    const counted = pipeline({ guards: { min_rows: { kind: 'count', value: 10 } } });
    expect(evaluateGuards(counted, input)).toEqual([
      { guard: 'min_rows', count: 1, limit: 10, setting: '10', tripped: true, allowed: false },
    ]);
  });

  it('mirror refuses deleting more than 50% unless loosened; --allow marks it allowed', () => {
    const input = {
      counts: emptyCounts(),
      dataset: effect({ deleted: 51, rows: 49 }),
      snapshotRows: undefined,
      previousRowsRead: undefined,
      allow: new Set(['max_deleted']),
    };
    expect(evaluateGuards(pipeline({}), input)).toEqual([
      { guard: 'max_deleted', count: 51, limit: 50, setting: '50%', base: 100, tripped: true, allowed: true },
      // max_changed is not configured: not listed.
    ]);
    const loose = pipeline({ guards: { max_deleted: { kind: 'percent', value: 100 } } });
    expect(evaluateGuards(loose, { ...input, allow: none })[0]).toMatchObject({ tripped: false, limit: 100 });
    // Not mirror: no deletes, no default.
    expect(evaluateGuards(pipeline({}), { ...input, dataset: effect({ mode: 'upsert' }) })).toEqual([]);
  });
});
