/**
 * A throw-away ferry project for command-line tests: a temp dir with `pipelines/`, an input and an
 * output bucket, and a ferry.yaml whose connection `s3` reaches the test server (or the fault proxy
 * in front of it) with s3rver's keys taken from `${env:K}` / `${env:S}` (pass CLI_PROJECT_ENV).
 * Optionally its state lives on S3 (moto, s3rver) through a connection `state`.
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
  /** With `state`: the bucket that holds the project's state (under the prefix `ferry/`). */
  stateBucket?: string;
}

/** An S3 server a project can use: s3rver, or moto. */
export type S3Endpoint = Pick<S3TestServer, 'endpoint' | 'createBucket'>;

export async function createCliProject(options: {
  server: S3Endpoint;
  /** Default: the server itself. */
  endpoint?: string;
  /** Temp dir name prefix. */
  label: string;
  /** Where the project's temp dir goes (default: the OS temp dir). */
  parent?: string;
  /** More top-level ferry.yaml lines, e.g. datasets. */
  extraYaml?: string;
  /**
   * State on S3 (connection `state`, a new bucket, prefix `ferry/`) instead of state/; `extra` adds
   * lines to the state block (`lock_ttl: 3s`, `lock: unsafe-single-writer`).
   */
  state?: { server: S3Endpoint; endpoint?: string; extra?: readonly string[] };
}): Promise<CliProject> {
  const { server, state } = options;
  const dir = await mkdtemp(join(options.parent ?? tmpdir(), `ferry-${options.label}-`));
  const input = uniqueBucket('in');
  const output = uniqueBucket('out');
  await server.createBucket(input);
  await server.createBucket(output);
  const stateBucket = state ? uniqueBucket('state') : undefined;
  if (state && stateBucket) await state.server.createBucket(stateBucket);
  const connection = (name: string, endpoint: string) => [
    `  ${name}:`,
    `    endpoint: ${endpoint}`,
    '    force_path_style: true',
    '    auth: {kind: static, access_key_id: "${env:K}", secret_access_key: "${env:S}"}',
  ];
  await mkdir(join(dir, 'pipelines'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    [
      'version: 1',
      'connections:',
      ...connection('s3', options.endpoint ?? server.endpoint),
      ...(state && stateBucket
        ? [
            ...connection('state', state.endpoint ?? state.server.endpoint),
            'state:',
            '  kind: s3',
            '  connection: state',
            `  bucket: ${stateBucket}`,
            '  prefix: ferry/',
            ...(state.extra ?? []).map((line) => `  ${line}`),
          ]
        : []),
      ...(options.extraYaml ? [options.extraYaml.trimEnd()] : []),
      '',
    ].join('\n'),
  );
  return { dir, input, output, ...(stateBucket ? { stateBucket } : {}) };
}
