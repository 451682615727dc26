/**
 * Dataset lineage: an incremental export may filter by version number only while the version it
 * last exported is in the current version's history (not after a rollback past it).
 */
import { describe, expect, it } from 'vitest';
import { isAncestorVersion, type DatasetManifest } from '../../../engine/state/dataset-store.js';

function manifest(parents?: Record<string, number | null>): DatasetManifest {
  return {
    formatVersion: 1,
    dataset: 'accounts',
    current: null,
    versions: [],
    ...(parents ? { parents } : {}),
  };
}

describe('isAncestorVersion', () => {
  // 1 ← 2 ← 3, then a rollback to 1 and 4 built on it, then 5 on 4.
  const branched = manifest({ '1': null, '2': 1, '3': 2, '4': 1, '5': 4 });

  it.each([
    [1, 5, true],
    [4, 5, true],
    [5, 5, true],
    [0, 5, true],
    [2, 5, false],
    [3, 5, false],
    [3, 3, true],
    [2, 3, true],
    [4, 3, false],
    [0, 1, true],
  ])('%i is an ancestor of %i: %s', (ancestor, version, expected) => {
    expect(isAncestorVersion(branched, ancestor, version)).toBe(expected);
  });

  it('treats a manifest without parent links (older ferry) as linear', () => {
    expect(isAncestorVersion(manifest(), 3, 7)).toBe(true);
    expect(isAncestorVersion(manifest(), 0, 2)).toBe(true);
    expect(isAncestorVersion(manifest(), 8, 7)).toBe(false);
  });

  it('follows links past versions that were pruned from the kept list', () => {
    // Versions 1-3 pruned; their links stay.
    const pruned = { ...manifest({ '1': null, '2': 1, '3': 1, '4': 3 }), current: 4 };
    expect(isAncestorVersion(pruned, 3, 4)).toBe(true);
    expect(isAncestorVersion(pruned, 2, 4)).toBe(false);
  });
});
