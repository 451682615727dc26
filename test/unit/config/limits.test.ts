/** ferry.yaml `limits`: sizes and durations parse, defaults match the schema, bad values are problems. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, normalizeLimits } from '../../../engine/config/normalize-limits.js';
import { formatByteSize, parseByteSize } from '../../../engine/config/parse-byte-size.js';
import { parseDuration } from '../../../engine/config/parse-duration.js';
import { loadProject } from '../../../engine/project/load-project.js';

const root = join(import.meta.dirname, '..', '..', '..');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function load(yaml: string) {
  dir = mkdtempSync(join(tmpdir(), 'ferry-limits-config-'));
  writeFileSync(join(dir, 'ferry.yaml'), `version: 1\n${yaml}`);
  return loadProject({ cwd: dir, env: {} });
}

describe('parseByteSize', () => {
  it.each([
    [1024, 1024],
    ['1B', 1],
    ['500MB', 500_000_000],
    ['10GiB', 10 * 2 ** 30],
    ['2TiB', 2 * 2 ** 40],
    ['0B', undefined],
    ['1.5GB', undefined],
    ['10 gigabytes', undefined],
    [0, undefined],
    [1.5, undefined],
  ] as const)('%s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it('formats sizes people wrote back the same way', () => {
    expect(formatByteSize(10 * 2 ** 30)).toBe('10GiB');
    expect(formatByteSize(500_000_000)).toBe('500MB');
    expect(formatByteSize(1234)).toBe('1234 bytes');
  });
});

describe('limits in ferry.yaml', () => {
  it('defaults to DEFAULT_LIMITS, which are the schema defaults', () => {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', 'ferry.schema.json'), 'utf8')) as {
      definitions: { limits: { properties: Record<string, { default: string | number }> } };
    };
    const defaults = schema.definitions.limits.properties;
    expect({
      maxDecompressedBytes: parseByteSize(defaults['max_decompressed_bytes']?.default ?? ''),
      maxCompressionRatio: defaults['max_compression_ratio']?.default,
      tempDiskBytes: parseByteSize(defaults['temp_disk_bytes']?.default ?? ''),
      queryTimeoutMs: parseDuration(String(defaults['query_timeout']?.default)),
      memoryBytes: parseByteSize(defaults['memory']?.default ?? ''),
    }).toEqual(DEFAULT_LIMITS);
    expect(normalizeLimits(undefined)).toEqual(DEFAULT_LIMITS);
    expect(load('').project?.limits).toEqual(DEFAULT_LIMITS);
  });

  it('reads every limit', () => {
    const loaded = load(
      'limits:\n  max_decompressed_bytes: 2GiB\n  max_compression_ratio: 250\n  temp_disk_bytes: 500000000\n  query_timeout: 90s\n  memory: 2GiB\n',
    );
    expect(loaded.problems).toEqual([]);
    expect(loaded.project?.limits).toEqual({
      maxDecompressedBytes: 2 * 2 ** 30,
      maxCompressionRatio: 250,
      tempDiskBytes: 500_000_000,
      queryTimeoutMs: 90_000,
      memoryBytes: 2 * 2 ** 30,
    });
  });

  it('reports a size without a unit it knows, and an unknown limit, with their place', () => {
    const loaded = load('limits:\n  temp_disk_bytes: 20 gigs\n  max_ratio: 5\n');
    expect(loaded.problems.map((p) => [p.code, p.at?.line])).toEqual([
      ['CONFIG_INVALID_VALUE', 3],
      ['CONFIG_UNKNOWN_KEY', 4],
    ]);
  });
});
