/**
 * ferry.yaml `pipelines:` globs: a real glob language (braces, `**`), and a glob that matches no
 * file is an error at its own line instead of a project that validates as "0 pipelines".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { matchGlobs } from '../../../engine/project/find-files.js';
import { loadProject } from '../../../engine/project/load-project.js';

const pipeline = (name: string) =>
  `name: ${name}\nsource: {kind: s3, connection: c, bucket: bucket-in, format: {kind: parquet}}\nsink: {kind: s3, connection: c, bucket: bucket-out, format: parquet}\n`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(ferryYaml: string, files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-globs-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'ferry.yaml'), `version: 1\nconnections:\n  c: {region: us-east-1}\n${ferryYaml}`);
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), pipeline(file.replace(/^.*\/|\.ya?ml$/g, '')));
  }
  return dir;
}

describe('pipelines: globs', () => {
  it('expands braces instead of reading them literally', () => {
    const dir = project('pipelines: ["pipelines/{a,b}.yaml"]\n', [
      'pipelines/a.yaml',
      'pipelines/b.yaml',
      'pipelines/c.yaml',
    ]);
    const loaded = loadProject({ cwd: dir, env: {} });
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('a glob that matches nothing is an error at its line; the others still load', () => {
    const dir = project('pipelines:\n  - "pipelines/*.yaml"\n  - "teams/*/pipeline.yaml"\n', [
      'pipelines/a.yaml',
    ]);
    const loaded = loadProject({ cwd: dir, env: {} });
    expect(loaded.problems.map((p) => [p.code, p.severity, p.at?.file, p.at?.line, p.at?.col])).toEqual([
      ['CONFIG_GLOB_NO_MATCH', 'error', 'ferry.yaml', 6, 5],
    ]);
    expect(loaded.problems[0]?.message).toContain('teams/*/pipeline.yaml');
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['a']);
  });

  it('the default glob may match nothing (a project of connections and datasets only)', () => {
    const loaded = loadProject({ cwd: project('', []), env: {} });
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines).toEqual([]);
  });

  it('matches ** at any depth, skips hidden files and node_modules; overlapping globs both match', () => {
    const dir = project('', [
      'pipelines/a.yaml',
      'pipelines/x/y/b.yaml',
      'pipelines/.hidden.yaml',
      'pipelines/node_modules/n.yaml',
    ]);
    expect(matchGlobs(dir, ['pipelines/**/*.yaml', 'pipelines/*.yaml', 'nothing/*.yaml'])).toEqual([
      { glob: 'pipelines/**/*.yaml', files: ['pipelines/a.yaml', 'pipelines/x/y/b.yaml'] },
      { glob: 'pipelines/*.yaml', files: ['pipelines/a.yaml'] },
      { glob: 'nothing/*.yaml', files: [] },
    ]);
    // Overlap is not "no match": both globs are fine, and each file loads once.
    writeFileSync(
      join(dir, 'ferry.yaml'),
      'version: 1\nconnections:\n  c: {region: us-east-1}\npipelines: ["pipelines/**/*.yaml", "pipelines/*.yaml"]\n',
    );
    const loaded = loadProject({ cwd: dir, env: {} });
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines.map((p) => p.name)).toEqual(['a', 'b']);
  });
});
