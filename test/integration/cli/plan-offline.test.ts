/**
 * `ferry plan --offline [--base REF]`: the configuration review for pull-request CI without
 * credentials. The connection points at a port where nothing listens and no credential variable is
 * set: the command must not need either. Against a git ref (a real repository made here) and
 * against the configuration recorded in state.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { configSnapshot } from '../../../engine/plan/diff-config.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { openLocalState } from '../../harness/local-state.js';
import { emptyPipelineState } from '../../../engine/state/pipeline-state.js';

const FERRY_YAML = (keepVersions: number, secret = 'NOT_SET_SECRET') => `version: 1
connections:
  s3:
    endpoint: http://127.0.0.1:9
    force_path_style: true
    auth: {kind: static, access_key_id: "\${env:NOT_SET_KEY}", secret_access_key: "\${env:${secret}}"}
datasets:
  accounts: {kind: entity, key: [id], keep_versions: ${keepVersions}}
`;

const pipeline = (name: string, delimiter = ',') =>
  `name: ${name}\nsource: {kind: s3, connection: s3, bucket: in-bucket, prefix: ${name}/, format: {kind: csv, delimiter: '${delimiter}'}}\nsink: {kind: s3, connection: s3, bucket: out-bucket, format: csv}\n`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-offline-'));
  mkdirSync(join(dir, 'pipelines'));
  writeFileSync(join(dir, 'ferry.yaml'), FERRY_YAML(5));
  writeFileSync(join(dir, 'pipelines', 'a.yaml'), pipeline('a'));
  writeFileSync(join(dir, 'pipelines', 'b.yaml'), pipeline('b'));
  return dir;
}

function git(dir: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=ferry', '-c', 'user.email=ferry@example.invalid', ...args], {
    cwd: dir,
    stdio: 'ignore',
  });
}

// No credential variable at all: the offline plan must not need one.
const plan = (dir: string, args: string[]) => runCliCaptured(['plan', ...args], { cwd: dir, env: {} });

describe('plan --offline --base REF', () => {
  it('shows pipelines added, changed and removed and ferry.yaml changes, without credentials', async () => {
    const dir = project();
    try {
      git(dir, 'init', '-q');
      git(dir, 'add', '.');
      git(dir, 'commit', '-q', '-m', 'base');
      // Nothing changed yet.
      const same = await plan(dir, ['--offline', '--base', 'HEAD', '--detailed-exitcode']);
      expect(same.code, same.stderr + same.stdout).toBe(0);
      expect(same.stdout).toContain('Configuration: 0 pipelines to add, 0 to change, 0 to remove.');
      const sameMarkdown = await plan(dir, ['--base', 'HEAD', '--format', 'markdown']);
      expect(sameMarkdown.code).toBe(0);
      expect(sameMarkdown.stdout).not.toContain('```mermaid');

      // The pull request: a's delimiter, b removed, c added, a dataset setting.
      writeFileSync(join(dir, 'pipelines', 'a.yaml'), pipeline('a', ';'));
      rmSync(join(dir, 'pipelines', 'b.yaml'));
      writeFileSync(join(dir, 'pipelines', 'c.yaml'), pipeline('c'));
      writeFileSync(join(dir, 'ferry.yaml'), FERRY_YAML(3, 'ROTATED_SECRET'));

      const json = await plan(dir, ['--base', 'HEAD', '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const review = JSON.parse(json.stdout) as {
        format_version: number;
        summary: Record<string, number>;
        project: Array<{ path: string; before: unknown; after: unknown }>;
        pipelines: Array<{ pipeline: string; change: string; changes: Array<{ path: string }> }>;
      };
      expect(review.format_version).toBe(1);
      expect(review.summary).toEqual({ add: 1, change: 1, remove: 1 });
      expect(review.pipelines.map((p) => [p.pipeline, p.change])).toEqual([
        ['a', 'changed'],
        ['b', 'removed'],
        ['c', 'added'],
      ]);
      expect(review.pipelines[0]?.changes.map((c) => c.path)).toEqual(['source.format.delimiter']);
      // A rotated secret shows as its reference; no value is ever resolved (none is set).
      expect(review.project).toEqual([
        {
          path: 'connections.s3.auth.secretAccessKey.ref',
          change: 'changed',
          before: '${env:NOT_SET_SECRET}',
          after: '${env:ROTATED_SECRET}',
        },
        { path: 'datasets.accounts.keepVersions', change: 'changed', before: 5, after: 3 },
      ]);

      const markdown = await plan(dir, [
        '--offline',
        '--base',
        'HEAD',
        '--format',
        'markdown',
        '--detailed-exitcode',
      ]);
      expect(markdown.code).toBe(2);
      expect(markdown.stdout).toContain(
        '**Configuration: 1 pipeline to add, 1 to change, 1 to remove; ferry.yaml: 2 changes.**',
      );
      expect(markdown.stdout).toContain('- source.format.delimiter: ","\n+ source.format.delimiter: ";"');
      // b removed and c added change the graph: the comment shows it, c marked, b named.
      expect(markdown.stdout).toContain('```mermaid\nflowchart LR\n');
      expect(markdown.stdout).toMatch(/^ {2}class p_c added$/m);
      expect(markdown.stdout).toContain('Removed: `pipeline:b`.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a base whose configuration does not load is an error that says where', async () => {
    const dir = project();
    try {
      writeFileSync(
        join(dir, 'pipelines', 'a.yaml'),
        pipeline('a').replace('format: csv}\n', 'format: csvv}\n'),
      );
      git(dir, 'init', '-q');
      git(dir, 'add', '.');
      git(dir, 'commit', '-q', '-m', 'broken');
      writeFileSync(join(dir, 'pipelines', 'a.yaml'), pipeline('a'));
      const result = await plan(dir, ['--base', 'HEAD']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('[BASE_CONFIG_INVALID]');
      expect(result.stderr).toMatch(/first: HEAD:pipelines\/a\.yaml:\d+:\d+ /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown ref is a clear error', async () => {
    const dir = project();
    try {
      git(dir, 'init', '-q');
      const result = await plan(dir, ['--base', 'no-such-ref']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('[GIT_FAILED]');
      expect(result.stderr).toContain('no-such-ref');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plan --offline (against state)', () => {
  it('compares each pipeline with the configuration it was last applied with', async () => {
    const dir = project();
    try {
      // State as an apply of a and of a pipeline "gone" (since deleted from the project) leaves it.
      const loaded = loadProject({ cwd: dir, env: {} });
      const a = loaded.pipelines.find((p) => p.name === 'a');
      const store = openLocalState(join(dir, 'state'));
      if (!a) throw new Error('pipeline a not loaded');
      await store.commitPipelineState(
        'a',
        { ...emptyPipelineState('a'), appliedConfig: configSnapshot(a) },
        { expected: undefined },
      );
      await store.commitPipelineState(
        'gone',
        { ...emptyPipelineState('gone'), appliedConfig: {} },
        { expected: undefined },
      );
      writeFileSync(join(dir, 'pipelines', 'a.yaml'), pipeline('a', '|'));

      const result = await plan(dir, ['--offline']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Offline plan against the last apply (state)');
      expect(result.stdout).toContain(
        'pipeline a  changed\n  - source.format.delimiter: ","\n  + source.format.delimiter: "|"',
      );
      expect(result.stdout).toContain('pipeline b  added (never applied)');
      expect(result.stdout).toContain('pipeline gone  removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --out and --show-sql, which need a full plan (exit 64)', async () => {
    const dir = project();
    try {
      expect((await plan(dir, ['--offline', '--out', 'plan.json'])).code).toBe(64);
      expect((await plan(dir, ['--offline', '--show-sql'])).code).toBe(64);
      // A ref that git would read as an option is refused before git runs.
      expect((await plan(dir, ['--base=--output=/tmp/x'])).code).toBe(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
