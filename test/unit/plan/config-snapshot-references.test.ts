/**
 * Settings written with a reference are shown as the reference in config snapshots (plans, state),
 * ferry.yaml's snapshot (offline review), display texts and problem messages; the fingerprint still
 * sees the value (docs/security.md, "What is shown where").
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { configFingerprint, configSnapshot } from '../../../engine/plan/diff-config.js';
import { projectSnapshot } from '../../../engine/plan/review-config.js';
import { loadProject } from '../../../engine/project/load-project.js';

function project(pipeline: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-snapshot-'));
  mkdirSync(join(dir, 'pipelines'));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'prefix.txt'), 'drops/acme\n');
  writeFileSync(
    join(dir, 'ferry.yaml'),
    'version: 1\nconnections:\n  c:\n    endpoint: "${env:FERRY_ENDPOINT:-http://127.0.0.1:9000}"\n    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}\n',
  );
  writeFileSync(join(dir, 'pipelines', 'p.yaml'), pipeline);
  return dir;
}

const PIPELINE = [
  'name: p',
  'description: "Acme drops for ${env:FERRY_TEAM}"',
  'source: {kind: s3, connection: c, bucket: "${env:FERRY_BUCKET}", prefix: "${file:conf/prefix.txt}/", format: {kind: csv}}',
  'sink: {kind: s3, connection: c, bucket: out-bucket, format: csv}',
  'schedule: {every: 6h, timezone: "${env:FERRY_TZ}"}',
  '',
].join('\n');

it('snapshots, descriptions and ferry.yaml show references; the fingerprint sees values', () => {
  const dir = project(PIPELINE);
  const env = { FERRY_TEAM: 'growth-team', FERRY_BUCKET: 'bucket-one', FERRY_TZ: 'Europe/Berlin' };
  const loaded = loadProject({ cwd: dir, env });
  expect(loaded.problems).toEqual([]);
  const [pipeline] = loaded.pipelines;
  if (!pipeline || !loaded.project) throw new Error('not loaded');
  expect(pipeline.source).toMatchObject({ bucket: 'bucket-one', prefix: 'drops/acme/' });

  const snapshot = configSnapshot(pipeline) as {
    description: string;
    source: { bucket: string; prefix: string };
    schedule: { timezone: string; description: string };
  };
  expect(snapshot.description).toBe('Acme drops for ${env:FERRY_TEAM}');
  expect(snapshot.source.bucket).toBe('${env:FERRY_BUCKET}');
  expect(snapshot.source.prefix).toBe('${file:conf/prefix.txt}/');
  expect(snapshot.schedule.timezone).toBe('${env:FERRY_TZ}');
  expect(pipeline.description).toBe('Acme drops for ${env:FERRY_TEAM}');
  expect(pipeline.schedule?.description).toContain('${env:FERRY_TZ}');
  expect(JSON.stringify(snapshot)).not.toMatch(/growth-team|bucket-one|drops\/acme|Europe\/Berlin/);

  const ferry = projectSnapshot(loaded.project) as { connections: { c: { endpoint: string } } };
  expect(ferry.connections.c.endpoint).toBe('${env:FERRY_ENDPOINT:-http://127.0.0.1:9000}');

  const other = loadProject({ cwd: dir, env: { ...env, FERRY_BUCKET: 'bucket-two' } }).pipelines[0];
  if (!other) throw new Error('not loaded');
  expect(configSnapshot(other)).toEqual(snapshot);
  expect(configFingerprint(other)).not.toBe(configFingerprint(pipeline));
});

it('problem messages name the reference, not the value it resolved to', () => {
  const dir = project(PIPELINE.replace('connection: c, bucket', 'connection: "${env:FERRY_CONN}", bucket'));
  const loaded = loadProject({
    cwd: dir,
    env: { FERRY_CONN: 'conn-value-x', FERRY_TEAM: 't', FERRY_BUCKET: 'bucket-one', FERRY_TZ: 'UTC' },
  });
  const problem = loaded.problems.find((p) => p.code === 'CONFIG_UNKNOWN_CONNECTION');
  expect(problem?.message).toContain('${env:FERRY_CONN}');
  expect(JSON.stringify(loaded.problems)).not.toContain('conn-value-x');
});
