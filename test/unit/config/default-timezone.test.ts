/**
 * defaults.timezone is resolved once, at normalization, into every field that reads wall-clock time
 * (source key timestamps, mapping.timestamp) as it already was for sinks and schedules. So the
 * normalized pipeline, its config diff and its fingerprint (what a saved plan is checked against)
 * all change when the default zone does.
 */
import { describe, expect, it } from 'vitest';
import { normalizePipeline } from '../../../engine/config/normalize-pipeline.js';
import { normalizeProject } from '../../../engine/config/normalize-project.js';
import type { Pipeline as PipelineSpec } from '../../../engine/config/pipeline-spec.gen.js';
import { configFingerprint, configSnapshot, diffConfig } from '../../../engine/plan/diff-config.js';

const spec = (mappingZone?: string): PipelineSpec => ({
  name: 'p',
  source: {
    kind: 's3',
    connection: 's3',
    bucket: 'in',
    match: '^a_(?P<timestamp>\\d{8})\\.csv$',
    timestamp_format: 'YYYYMMDD',
    format: { kind: 'csv' },
  },
  mapping: { timestamp: { column: 'ts', ...(mappingZone ? { timezone: mappingZone } : {}) } },
  sink: { kind: 's3', connection: 's3', bucket: 'out', format: 'csv' },
});

const normalize = (defaultZone: string | undefined, mappingZone?: string) =>
  normalizePipeline(spec(mappingZone), {
    file: 'pipelines/p.yaml',
    pointer: '',
    project: normalizeProject(
      { version: 1, ...(defaultZone ? { defaults: { timezone: defaultZone } } : {}) },
      { file: 'ferry.yaml', directory: '/tmp' },
    ),
  });

describe('defaults.timezone at normalization', () => {
  it('is the zone of source key timestamps and of mapping.timestamp unless that names its own', () => {
    const berlin = normalize('Europe/Berlin');
    expect(berlin.source.kind === 's3' && berlin.source.timezone).toBe('Europe/Berlin');
    expect(berlin.mapping?.timestamp?.timezone).toBe('Europe/Berlin');
    expect(normalize('Europe/Berlin', 'Asia/Tokyo').mapping?.timestamp?.timezone).toBe('Asia/Tokyo');
    expect(normalize(undefined).mapping?.timestamp?.timezone).toBe('UTC');
  });

  it('a source without timestamp_format carries no zone (changing the default changes nothing there)', () => {
    const {
      timestamp_format: _f,
      match: _m,
      ...source
    } = spec().source as unknown as Record<string, unknown>;
    const pipeline = normalizePipeline({ ...spec(), source, mapping: {} } as unknown as PipelineSpec, {
      file: 'p.yaml',
      pointer: '',
      project: undefined,
    });
    expect(pipeline.source.kind === 's3' && 'timezone' in pipeline.source).toBe(false);
  });

  it('changing it is a config change and a new fingerprint (a saved plan goes stale)', () => {
    const before = normalize(undefined);
    const after = normalize('America/New_York');
    expect(configFingerprint(after)).not.toBe(configFingerprint(before));
    expect(diffConfig(configSnapshot(before), configSnapshot(after)).map((c) => c.path)).toEqual([
      'mapping.timestamp.timezone',
      'sink.timezone',
      'source.timezone',
    ]);
  });
});
