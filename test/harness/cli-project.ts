/**
 * A throw-away ferry project for command-line tests: a temp dir with `pipelines/`, an input and an
 * output bucket, and a ferry.yaml whose connection `s3` reaches the test server (or the fault proxy
 * in front of it) with s3rver's keys taken from `${env:K}` / `${env:S}` (pass CLI_PROJECT_ENV).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3TestServer } from './s3-server.js';
import { uniqueBucket } from './unique-bucket.js';

export const CLI_PROJECT_ENV = { K: 'S3RVER', S: 'S3RVER' };

export interface CliProject {
  dir: string;
  input: string;
  output: string;
}

export async function createCliProject(options: {
  server: S3TestServer;
  /** Default: the server itself. */
  endpoint?: string;
  /** Temp dir name prefix. */
  label: string;
  /** More top-level ferry.yaml lines, e.g. datasets. */
  extraYaml?: string;
}): Promise<CliProject> {
  const { server } = options;
  const dir = await mkdtemp(join(tmpdir(), `ferry-${options.label}-`));
  const input = uniqueBucket('in');
  const output = uniqueBucket('out');
  await server.createBucket(input);
  await server.createBucket(output);
  await mkdir(join(dir, 'pipelines'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    [
      'version: 1',
      'connections:',
      '  s3:',
      `    endpoint: ${options.endpoint ?? server.endpoint}`,
      '    force_path_style: true',
      '    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}',
      ...(options.extraYaml ? [options.extraYaml.trimEnd()] : []),
      '',
    ].join('\n'),
  );
  return { dir, input, output };
}
