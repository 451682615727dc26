/**
 * The run limits of ferry.yaml against real attacks through real parts: gzip bombs in an s3rver
 * bucket, planned and applied by the engine with real DuckDB. Before these limits a 14 MB .csv.gz
 * made a plan write 31.7 GB of temp data, and a 17 MB .ndjson.gz ran past 7 minutes.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGzipBomb } from '../../harness/gzip-bomb.js';
import {
  at,
  startEngineFixture,
  type EngineFixture,
  type PipelineInput,
  type TestProject,
} from './engine-fixture.js';

let fx: EngineFixture;
beforeAll(async () => {
  fx = await startEngineFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const NOW = at('2024-05-01T06:00:00Z');

async function projectWith(limitsYaml: string, format: Record<string, unknown>): Promise<TestProject> {
  const project = await fx.createProject();
  await appendFile(join(project.dir, 'ferry.yaml'), limitsYaml);
  await project.writePipeline('drop', {
    name: 'drop',
    source: { prefix: 'in/', format },
    sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
  });
  return project;
}

describe('decompression limits', () => {
  it('a .csv.gz bomb stops at max_decompressed_bytes; the error names the object and the limit', async () => {
    const project = await projectWith(
      'limits:\n  max_decompressed_bytes: 8MiB\n  max_compression_ratio: 100000\n',
      { kind: 'csv' },
    );
    await project.put('in/accounts.csv.gz', createGzipBomb('csv', 96 * 2 ** 20).body);
    const plan = await project.run('plan', { now: NOW });
    expect(plan.status).toBe('error');
    expect(plan.error?.code).toBe('SOURCE_DECOMPRESSED_TOO_LARGE');
    expect(plan.error?.message).toContain(`s3://${project.sourceBucket}/in/accounts.csv.gz`);
    expect(plan.error?.message).toContain('limits.max_decompressed_bytes (8.0 MiB)');
    expect(plan.error?.hint).toContain('limits.max_decompressed_bytes');
    expect(plan.counts.rowsRead).toBe(0);
  });

  it('an .ndjson.gz bomb stops at the default max_compression_ratio before DuckDB reads it', async () => {
    const project = await projectWith('', { kind: 'json', layout: 'ndjson' });
    await project.put('in/events.ndjson.gz', createGzipBomb('ndjson', 96 * 2 ** 20).body);
    const before = await project.hashState();
    const plan = await project.run('apply', { now: NOW });
    expect(plan.error?.code).toBe('SOURCE_COMPRESSION_RATIO_TOO_HIGH');
    expect(plan.error?.message).toContain(`s3://${project.sourceBucket}/in/events.ndjson.gz`);
    expect(plan.error?.message).toContain('limits.max_compression_ratio (100)');
    expect(plan.counts.rowsRead).toBe(0);
    // A failed run records itself under runs/ and leaves the rest of state as it was.
    const after = await project.hashState();
    const changed = Object.keys(after).filter((file) => after[file] !== before[file]);
    expect(changed.every((file) => file.includes('/runs/'))).toBe(true);
    expect(await project.list()).toEqual([]);
  });

  it('honest gzip input passes the default limits', async () => {
    const project = await projectWith('', { kind: 'csv' });
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},user${i}@example.com,${i % 7}`);
    await project.put('in/users.csv.gz', gzipSync(['id,email,score', ...rows].join('\n') + '\n'));
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.counts.rowsRead).toBe(20_000);
  });
});

describe('temp disk budget', () => {
  it('refuses to fetch files that would take the run past temp_disk_bytes, naming the object', async () => {
    const project = await projectWith('limits:\n  temp_disk_bytes: 1000B\n', { kind: 'csv' });
    const body = 'id,name\n' + '1,abcdefghijklmnopqrstuvwxyz\n'.repeat(20);
    await project.put('in/a.csv', body);
    await project.put('in/b.csv', body);
    const plan = await project.run('plan', { now: NOW });
    expect(body.length).toBeLessThan(1000);
    expect(plan.error?.code).toBe('RUN_TEMP_DISK_EXCEEDED');
    expect(plan.error?.message).toContain(`s3://${project.sourceBucket}/in/b.csv`);
    expect(plan.error?.message).toContain('limits.temp_disk_bytes');
  });
});

describe('memory', () => {
  it("limits.memory is the run's DuckDB memory_limit", async () => {
    const project = await fx.createProject();
    await appendFile(join(project.dir, 'ferry.yaml'), 'limits:\n  memory: 300MiB\n');
    await project.writePipeline('drop', {
      name: 'drop',
      source: { prefix: 'in/', format: { kind: 'csv' } },
      // A check that reads the setting: it fails the run (CHECK_FAILED) unless the session has it.
      checks: [
        { kind: 'sql', query: "SELECT current_setting('memory_limit') = '300.0 MiB' FROM rows LIMIT 1" },
      ],
      sink: { directory: 'out/', filename: '{{source_stem}}', format: 'csv' },
    } as PipelineInput);
    await project.put('in/accounts.csv', 'id,name\n1,Ada\n');
    const plan = await project.run('plan', { now: NOW });
    expect(plan.error).toBeUndefined();
    expect(plan.status).not.toBe('error');
  });
});
