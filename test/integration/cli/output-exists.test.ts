/** ferry refuses to overwrite an object another run wrote, in plan and in apply. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_PROJECT_ENV, createCliProject } from '../../harness/cli-project.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const run = (dir: string, argv: string[]) => runCliCaptured(argv, { cwd: dir, env: CLI_PROJECT_ENV });

it('a fixed filename is written once; the next run with new input is refused, old output kept', async () => {
  const { dir, input, output } = await createCliProject({ server, label: 'exists' });
  await server.client.send(new PutObjectCommand({ Bucket: input, Key: 'a_1.csv', Body: 'id\n1\n' }));
  writeFileSync(
    join(dir, 'pipelines', 'p.yaml'),
    `name: p\nsource: {kind: s3, connection: s3, bucket: ${input}, format: {kind: csv}}\nsink: {kind: s3, connection: s3, bucket: ${output}, filename: fixed.csv, format: csv}\n`,
  );
  expect((await run(dir, ['apply'])).code).toBe(0);
  await server.client.send(new PutObjectCommand({ Bucket: input, Key: 'a_2.csv', Body: 'id\n2\n' }));
  const planned = await run(dir, ['plan']);
  expect(planned.code).toBe(1);
  expect(planned.output).toContain('OUTPUT_EXISTS');
  const applied = await run(dir, ['apply']);
  expect(applied.code).toBe(1);
  expect(applied.output).toContain('OUTPUT_EXISTS');
  const body = await (
    await server.client.send(new GetObjectCommand({ Bucket: output, Key: 'fixed.csv' }))
  ).Body?.transformToString();
  expect(body).toBe('id\n1\n');
});
