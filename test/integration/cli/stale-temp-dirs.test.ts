/**
 * Temp dirs of runs that died: a `ferry apply` killed (SIGKILL) after its download leaves its run temp
 * dir behind, with the downloaded file in it (10 such dirs, 2.9 GB, were found on one host). The next
 * `ferry apply` removes it at start, and leaves alone the dir of a run that is still alive.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { startFerryProcess } from '../../harness/ferry-process.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { startTempDirHolder } from '../../harness/temp-dir-holder.js';

let server: S3TestServer;
let root: string;
beforeAll(async () => {
  server = await startS3Server();
  root = await mkdtemp(join(tmpdir(), 'ferry-stale-root-'));
});
afterAll(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

it("the next apply removes the temp dir of a killed run and keeps a live run's", async () => {
  const { dir, input, output } = await createCliProject({ server, label: 'stale-temp' });
  await writeFile(
    join(dir, 'pipelines', 'p.yaml'),
    `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, prefix: in/, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${output}, filename: out, format: csv}\n`,
  );
  // zstd (`id,name\n1,Ada\n2,Bob\n` by the zstd tool), so the fetch writes it at once: a small plain or
  // gzip CSV file stays in memory until loaded.
  const zstd = Buffer.from('28b52ffd0458a1000069642c6e616d650a312c4164610a322c426f620a72f7b63c', 'hex');
  await server.client.send(new PutObjectCommand({ Bucket: input, Key: 'in/a.csv.zst', Body: zstd }));
  // Run temp dirs go under TMPDIR (os.tmpdir()), so this test sees only its own.
  const env = { ...CLI_PROJECT_ENV, TMPDIR: root };
  const live = await startTempDirHolder(root, 'hold');
  try {
    const crashed = await startFerryProcess({
      cwd: dir,
      args: ['apply'],
      env: { ...env, FERRY_FAILPOINT: 'after-download' },
    }).exited;
    expect(crashed.signal, crashed.output).toBe('SIGKILL');
    const left = readdirSync(root).filter((name) => join(root, name) !== live.path);
    expect(left).toHaveLength(1);
    expect(readdirSync(join(root, left[0] ?? ''))).toContain('in-0001');

    const next = await startFerryProcess({ cwd: dir, args: ['apply'], env }).exited;
    expect(next.code, next.output).toBe(0);
    expect(readdirSync(root).map((name) => join(root, name))).toEqual([live.path]);
    expect(existsSync(live.path)).toBe(true);
  } finally {
    await live.release();
    await rm(dir, { recursive: true, force: true });
  }
});
