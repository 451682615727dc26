/**
 * GitOps reload on real files: a changed configuration is validated with the same loader as every
 * command, adopted between runs when valid, and rejected — every problem logged with file:line:col,
 * the last good configuration still running, the failure in the watcher's status and the metrics —
 * when invalid. Changes are picked up once they have settled (the same on two polls in a row).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../../engine/log/create-logger.js';
import {
  fingerprintSources,
  loadServeConfig,
  readConfigSources,
} from '../../../engine/serve/load-serve-config.js';
import { createServeLoop } from '../../../engine/serve/serve-loop.js';
import { createServeMetrics } from '../../../engine/serve/serve-metrics.js';
import { createConfigWatcher } from '../../../engine/serve/watch-config.js';
import { createFakeClock } from '../../harness/fake-clock.js';
import { createFakeRunner } from '../../harness/fake-runner.js';

const PROJECT = [
  'version: 1',
  'connections:',
  '  s3:',
  '    endpoint: http://127.0.0.1:9',
  '    force_path_style: true',
  '    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}',
  '',
].join('\n');

const pipeline = (name: string, schedule: string, extra = '') =>
  [
    `name: ${name}`,
    `source: {kind: s3, connection: s3, bucket: inbox, prefix: ${name}/, format: {kind: csv}}`,
    `sink: {kind: s3, connection: s3, bucket: outbox, format: csv}`,
    `schedule: ${schedule}`,
    extra,
  ].join('\n');

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-reload-'));
  dirs.push(dir);
  await mkdir(join(dir, 'pipelines'));
  await writeFile(join(dir, 'ferry.yaml'), PROJECT);
  await writeFile(join(dir, 'pipelines', 'a.yaml'), pipeline('a', '{every: 15m}'));
  const clock = createFakeClock('2026-01-01T10:00:00Z');
  const env = { K: 'k', S: 's' };
  const load = () => loadServeConfig({ cwd: dir, env, projectFile: 'ferry.yaml', now: clock.now() });
  const first = await load();
  if (!first.ok) throw new Error(JSON.stringify(first.problems));
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    format: 'json',
    write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
  });
  const runner = createFakeRunner(() => clock.now());
  const loop = createServeLoop({
    config: first.config,
    runOne: runner.runOne,
    readPreviousRun: () => Promise.resolve(undefined),
    clock,
    logger,
    concurrency: 2,
  });
  const metrics = createServeMetrics({ processMetrics: false });
  const disk = () =>
    fingerprintSources(
      readConfigSources({ cwd: dir, projectFile: 'ferry.yaml', pipelineGlobs: ['pipelines/*.yaml'] }),
    );
  const watcher = createConfigWatcher({
    clock,
    intervalMs: 10_000,
    logger,
    readDiskFingerprint: disk,
    load,
    adopt: (config) => loop.adopt(config),
    initial: { config: first.config, diskFingerprint: disk() },
    onResult: (outcome, at) => metrics.configLoaded(outcome, at, loop.config()),
  });
  await loop.start();
  // Polls are called directly (the loader does real file I/O, which a fake clock cannot wait for).
  const poll = async (times = 1) => {
    for (let i = 0; i < times; i++) await watcher.poll();
  };
  return { dir, clock, loop, watcher, metrics, lines, runner, poll, first: first.config };
}

it('polls on its timer; the revision is the fingerprint of the files as loaded', async () => {
  const t = await setup();
  expect(t.first.revision).toMatch(/^[0-9a-f]{16}$/);
  expect(t.watcher.status()).toMatchObject({ status: 'ok', revision: t.first.revision });
  let polls = 0;
  const timed = createConfigWatcher({
    clock: t.clock,
    intervalMs: 10_000,
    logger: createLogger({ format: 'json', write: () => undefined }),
    readDiskFingerprint: () => String((polls += 1)),
    load: () => Promise.reject(new Error('not called: the fingerprint never settles')),
    adopt: () => Promise.resolve(),
    initial: { config: t.first, diskFingerprint: '0' },
  });
  timed.start();
  await t.clock.advanceBy(30_000);
  timed.stop();
  await t.clock.advanceBy(30_000);
  expect(polls).toBe(3);
  // Nothing changed: polls reload nothing.
  await t.poll(3);
  expect(t.lines.filter((l) => String(l['event']).startsWith('config-'))).toEqual([]);
});

it('adopts a valid change once it has settled: a pipeline changed, one added', async () => {
  const t = await setup();
  await writeFile(join(t.dir, 'pipelines', 'a.yaml'), pipeline('a', '{every: 1h}'));
  await writeFile(join(t.dir, 'pipelines', 'b.yaml'), pipeline('b', '{every: 30m}'));
  await t.poll(); // a change, not settled yet
  expect(t.loop.config().revision).toBe(t.first.revision);
  await t.poll(); // the same files again → reload
  const revision = t.loop.config().revision;
  expect(revision).not.toBe(t.first.revision);
  expect(t.loop.pipelines().map((p) => [p.name, p.schedule, p.nextRun])).toEqual([
    ['a', 'every 1h (UTC)', '2026-01-01T11:00:00.000Z'],
    ['b', 'every 30m (UTC)', '2026-01-01T10:30:00.000Z'],
  ]);
  expect(t.watcher.status()).toMatchObject({ status: 'ok', revision, lastAttempt: { outcome: 'adopted' } });
  expect(t.lines.find((l) => l['event'] === 'config-reloaded')).toMatchObject({ configRevision: revision });
  expect(await t.metrics.render()).toContain('ferry_config_reloads_total{outcome="adopted"} 1');
});

it('rejects an invalid change: every problem logged with file:line:col, the last good configuration keeps running', async () => {
  const t = await setup();
  await writeFile(join(t.dir, 'pipelines', 'a.yaml'), pipeline('a', '{every: 1h}', 'scheduel: {hourly: {}}'));
  await writeFile(join(t.dir, 'pipelines', 'b.yaml'), pipeline('b', '{cron: "61 * * * *"}'));
  await t.poll(2);
  expect(t.loop.config().revision).toBe(t.first.revision);
  expect(t.loop.pipelines().map((p) => [p.name, p.schedule])).toEqual([['a', 'every 15m (UTC)']]);
  const status = t.watcher.status();
  expect(status.status).toBe('invalid');
  expect(status.revision).toBe(t.first.revision);
  expect(status.lastAttempt?.problems.map((p) => [p.code, p.at])).toEqual([
    ['CONFIG_UNKNOWN_KEY', 'pipelines/a.yaml:5:1'],
    ['CONFIG_BAD_CRON', 'pipelines/b.yaml:4:18'],
  ]);
  const logged = t.lines
    .filter((l) => l['event'] === 'config-problem')
    .map((l) => [l['code'], l['at'], l['level']]);
  expect(logged).toEqual([
    ['CONFIG_UNKNOWN_KEY', 'pipelines/a.yaml:5:1', 'error'],
    ['CONFIG_BAD_CRON', 'pipelines/b.yaml:4:18', 'error'],
  ]);
  expect(t.lines.find((l) => l['event'] === 'config-rejected')).toMatchObject({
    code: 'SERVE_CONFIG_INVALID',
  });
  const metrics = await t.metrics.render();
  expect(metrics).toContain('ferry_config_reload_success 0');
  expect(metrics).toContain('ferry_config_reloads_total{outcome="rejected"} 1');
  // The old schedule still runs.
  await t.clock.advanceTo('2026-01-01T10:15:00Z');
  expect(t.runner.calls.map((c) => [c.pipeline, c.config.revision])).toEqual([['a', t.first.revision]]);
  // Rejected once, not on every poll; fixing it is adopted.
  await t.poll(3);
  expect(t.lines.filter((l) => l['event'] === 'config-rejected')).toHaveLength(1);
  await writeFile(join(t.dir, 'pipelines', 'a.yaml'), pipeline('a', '{every: 1h}'));
  await rm(join(t.dir, 'pipelines', 'b.yaml'));
  await t.poll(2);
  expect(t.watcher.status()).toMatchObject({ status: 'ok', lastAttempt: { outcome: 'adopted' } });
  expect(await t.metrics.render()).toContain('ferry_config_reload_success 1');
});

it('removing a pipeline unschedules it and never touches its data', async () => {
  const t = await setup();
  await writeFile(join(t.dir, 'pipelines', 'b.yaml'), pipeline('b', '{every: 30m}'));
  await t.poll(2);
  expect(t.loop.pipelines().map((p) => p.name)).toEqual(['a', 'b']);
  await rm(join(t.dir, 'pipelines', 'a.yaml'));
  await t.poll(2);
  expect(t.loop.pipelines().map((p) => p.name)).toEqual(['b']);
  expect(t.lines.find((l) => l['event'] === 'pipeline-removed')).toMatchObject({ pipeline: 'a' });
});

it('records the git commit when the project directory is a checkout', async () => {
  const t = await setup();
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: t.dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'one');
  await writeFile(join(t.dir, 'pipelines', 'a.yaml'), pipeline('a', '{every: 1h}'));
  git('commit', '-q', '-am', 'two');
  git('pack-refs', '--all'); // the branch ref now lives in packed-refs only
  await t.poll(2);
  expect(t.loop.config().gitCommit).toBe(git('rev-parse', 'HEAD'));
  expect(t.watcher.status().gitCommit).toBe(git('rev-parse', 'HEAD'));
  // A detached HEAD (how git-sync checks out) and a linked worktree (.git is a file).
  const worktree = join(t.dir, 'wt');
  git('worktree', 'add', '-q', '--detach', worktree, 'HEAD~1');
  const { readGitCommit } = await import('../../../engine/serve/read-git-commit.js');
  expect(await readGitCommit(worktree)).toBe(git('rev-parse', 'HEAD~1'));
  expect(await readGitCommit(tmpdir())).toBeUndefined();
});
