/**
 * `ferry serve` in-process through the CLI entry: flags checked (usage errors exit 64), an invalid
 * configuration at start exits 3 with every problem logged at file:line:col, and the endpoints
 * answer while it runs: /healthz, /readyz, /status, /metrics, 404 and 405. Stopping it (the signal
 * main() aborts on SIGTERM) drains and exits 0.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runCli } from '../../../engine/cli/main.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(pipelineYaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-serve-cmd-'));
  dirs.push(dir);
  await mkdir(join(dir, 'pipelines'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    'version: 1\nconnections:\n  s3:\n    endpoint: http://127.0.0.1:9\n    force_path_style: true\n    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}\n',
  );
  await writeFile(join(dir, 'pipelines', 'a.yaml'), pipelineYaml);
  return dir;
}

const A = [
  'name: a',
  'source: {kind: s3, connection: s3, bucket: inbox, prefix: a/, format: {kind: csv}}',
  'sink: {kind: s3, connection: s3, bucket: outbox, format: csv}',
  "schedule: {monthly: {day: 1, at: '05:00'}, timezone: Europe/Berlin}",
  '',
].join('\n');

function start(dir: string, args: string[], signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const code = runCli(['serve', '--log-format', 'json', ...args], {
    cwd: dir,
    env: { K: 'k', S: 's' },
    output: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), color: false },
    ...(signal ? { signal } : {}),
  });
  const lines = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, stderr: () => stderr };
}

it('rejects bad flags with a usage error', async () => {
  const dir = await project(A);
  for (const args of [
    ['--concurrency', '0'],
    ['--port', 'x'],
    ['--grace-period', '5'],
    ['--log-format', 'yaml'],
  ]) {
    const run = start(dir, args);
    expect(await run.code, args.join(' ')).toBe(64);
  }
});

it('exits 3 on an invalid configuration at start, every problem logged with file:line:col', async () => {
  const dir = await project(A.replace('day: 1', 'day: 40'));
  const run = start(dir, ['--port', '0', '--host', '127.0.0.1']);
  expect(await run.code).toBe(3);
  expect(run.lines().filter((l) => l['event'] === 'config-problem')).toMatchObject([
    { code: 'CONFIG_INVALID_VALUE', at: 'pipelines/a.yaml:4:27', level: 'error' },
  ]);
  expect(run.lines().at(-1)).toMatchObject({ event: 'config-invalid', code: 'SERVE_CONFIG_INVALID' });
});

it('serves /healthz, /readyz, /status and /metrics, then drains and exits 0 when stopped', async () => {
  const dir = await project(A);
  const stop = new AbortController();
  const run = start(dir, ['--port', '0', '--host', '127.0.0.1'], stop.signal);
  // Started: the listening line, then the schedule. No sleeping: yield to the event loop until then.
  while (!run.lines().some((l) => l['event'] === 'serve-started'))
    await new Promise((resolve) => setImmediate(resolve));
  const port = run.lines().find((l) => l['event'] === 'listening')?.['port'];
  const base = `http://127.0.0.1:${String(port)}`;
  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.json()]).toEqual([
    200,
    { alive: true, phase: 'running', config: 'ok' },
  ]);
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ ready: true, state: { ok: true } });
  const status = (await (await fetch(`${base}/status`)).json()) as {
    pipelines: Array<{
      name: string;
      schedule: string;
      nextRun: string;
      nextRunLocal: string;
      lastRun: null;
    }>;
  };
  expect(status.pipelines).toHaveLength(1);
  expect(status.pipelines[0]).toMatchObject({
    name: 'a',
    schedule: 'monthly on day 1 at 05:00 (Europe/Berlin)',
    lastRun: null,
  });
  expect(status.pipelines[0]?.nextRunLocal).toMatch(/^\d{4}-\d\d-01 05:00 \(0[34]:00 UTC\)$/);
  const metrics = await fetch(`${base}/metrics`);
  expect(metrics.headers.get('content-type')).toContain('text/plain');
  const text = await metrics.text();
  expect(text).toContain('# TYPE ferry_runs_total counter');
  expect(text).toMatch(/ferry_config_info\{revision="[0-9a-f]{16}",git_commit=""\} 1/);
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await fetch(`${base}/status`, { method: 'POST' })).status).toBe(405);
  stop.abort('SIGTERM');
  expect(await run.code).toBe(0);
  expect(run.lines().at(-1)).toMatchObject({ event: 'drained' });
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
