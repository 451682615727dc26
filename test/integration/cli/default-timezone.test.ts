/**
 * Changing defaults.timezone in ferry.yaml changes how key and mapping timestamps are read, so it
 * must show in `plan --offline` as a change of the pipelines it affects, and a plan saved before
 * the change must be refused as stale (exit 5) instead of applied under the other zone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanJson } from '../../../engine/report/parse-plan-json.js';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const run = (dir: string, argv: string[]) => runCliCaptured(argv, { cwd: dir, env: CLI_PROJECT_ENV });

async function setup(): Promise<{ dir: string; output: string }> {
  const { dir, input, output } = await createCliProject({ server, label: 'default-tz' });
  await server.client.send(
    new PutObjectCommand({ Bucket: input, Key: 'd/a_20260101.csv', Body: 'id,v\n1,a\n' }),
  );
  writeFileSync(
    join(dir, 'pipelines', 'p.yaml'),
    [
      'name: p',
      'source:',
      '  kind: s3',
      '  connection: s3',
      `  bucket: ${input}`,
      '  prefix: d/',
      "  match: '^a_(?P<timestamp>\\d{8})\\.csv$'",
      '  timestamp_format: YYYYMMDD',
      '  format: {kind: csv}',
      'sink:',
      '  kind: s3',
      '  connection: s3',
      `  bucket: ${output}`,
      "  filename: 'out-{{timestamp}}'",
      '  timezone: UTC',
      '  format: csv',
      '',
    ].join('\n'),
  );
  return { dir, output };
}

const setDefaultZone = (dir: string, zone: string) => {
  const file = join(dir, 'ferry.yaml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}defaults:\n  timezone: ${zone}\n`);
};

describe('defaults.timezone', () => {
  it('a change shows in plan --offline against the last apply', async () => {
    const { dir } = await setup();
    expect((await run(dir, ['apply'])).code).toBe(0);
    const same = await run(dir, ['plan', '--offline']);
    expect(same.stdout).toContain('1 pipeline unchanged.');

    setDefaultZone(dir, 'Europe/Berlin');
    const changed = await run(dir, ['plan', '--offline', '--detailed-exitcode']);
    expect(changed.code, changed.stderr).toBe(2);
    // The sink names its own zone: only the key timestamps' zone changed.
    expect(changed.stdout).toContain(
      'pipeline p  changed\n  - source.timezone: "UTC"\n  + source.timezone: "Europe/Berlin"\n',
    );
  });

  it('a plan saved before the change is stale: nothing written (exit 5)', async () => {
    const { dir, output } = await setup();
    expect((await run(dir, ['plan', '--out', 'plan.json'])).code).toBe(0);
    // A real saved plan reads back through the plan schema.
    const saved = parsePlanJson(readFileSync(join(dir, 'plan.json'), 'utf8'), 'plan.json');
    expect(saved.pipelines.map((p) => [p.pipeline, p.selection.selected.map((c) => c.timestamp)])).toEqual([
      ['p', [new Date('2026-01-01T00:00:00.000Z')]],
    ]);
    setDefaultZone(dir, 'America/New_York');
    const applied = await run(dir, ['apply', '--plan', 'plan.json']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(5);
    expect(applied.stdout).toContain('PLAN_STALE');
    expect(applied.stdout).toContain('its configuration changed');
    expect(await listAll(server.client, output)).toEqual([]);
  });
});
