import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../engine/project/load-project.js';

const pipeline =
  'name: p\nsource: {kind: s3, connection: c, bucket: bucket-in, format: {kind: parquet}}\nsink: {kind: s3, connection: c, bucket: bucket-out, format: parquet}\n';

describe('loadProject edge cases', () => {
  it('survives a symlink loop under pipelines/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-loop-'));
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(
      join(dir, 'ferry.yaml'),
      'version: 1\nconnections:\n  c: {region: us-east-1}\npipelines: ["pipelines/**/*.yaml"]\n',
    );
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline);
    symlinkSync(join(dir, 'pipelines'), join(dir, 'pipelines', 'loop'));
    const loaded = loadProject({ cwd: dir, env: {} });
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['p']);
  });

  it('reports a path through a file as not found instead of crashing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-notdir-'));
    writeFileSync(join(dir, 'ferry.yaml'), 'version: 1\n');
    const loaded = loadProject({ cwd: dir, env: {}, paths: ['ferry.yaml/x'] });
    expect(loaded.problems.map((p) => p.code)).toEqual(['CONFIG_PATH_NOT_FOUND']);
  });

  it('still checks pipeline files when ferry.yaml itself has problems', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-both-'));
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(join(dir, 'ferry.yaml'), 'version: 1\nconections: {}\n');
    writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline.replace('name: p', 'name: p\nnmae: typo'));
    const loaded = loadProject({ cwd: dir, env: {} });
    expect(loaded.problems.map((p) => [p.code, p.at?.file])).toEqual([
      ['CONFIG_UNKNOWN_KEY', 'ferry.yaml'],
      ['CONFIG_UNKNOWN_KEY', join('pipelines', 'p.yaml')],
    ]);
  });
});
