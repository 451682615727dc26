/**
 * compile-policy: the IAM policy for the example project is kept as a golden file (a reviewer sees
 * exactly what a change grants), and the rules are checked with the test evaluator: prefix-limited
 * listing on sources, writes only under sink directories, DeleteObject only on state lock objects,
 * literal `*` in keys, partitions, bucket and trust policies.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Project } from '../../../engine/config/model.js';
import {
  compileAccessPolicy,
  compileBucketPolicy,
  compileIamPolicy,
  compileTrustPolicy,
  escapePolicyPattern,
} from '../../../engine/plan/compile-policy.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { isAllowed } from '../../harness/evaluate-iam-policy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../golden/policy/', import.meta.url));

function loadExample() {
  const loaded = loadProject({ cwd: ROOT, env: {} });
  if (!loaded.project) throw new Error('the example project does not load');
  return { project: loaded.project, pipelines: loaded.pipelines };
}

function expectGolden(name: string, value: unknown): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(GOLDEN + name, text);
    return;
  }
  expect(existsSync(GOLDEN + name), `${name} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(GOLDEN + name, 'utf8'));
}

const s3 = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

describe('compileIamPolicy on the example project', () => {
  const { project, pipelines } = loadExample();
  const policy = compileIamPolicy(project, pipelines);

  it('matches the golden policy', () => {
    expectGolden('example-iam.json', policy);
  });

  it('lists source buckets only under the configured prefixes', () => {
    const list = (prefix: string | undefined) =>
      isAllowed(policy, {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::vendor-drops',
        context: prefix === undefined ? {} : { 's3:prefix': prefix },
      });
    expect(list('acme/accounts/')).toBe(true);
    expect(list('custom/')).toBe(true);
    expect(list('')).toBe(false);
    expect(list('payroll/')).toBe(false);
    expect(list(undefined)).toBe(false);
  });

  it('reads sources, writes and verifies sinks, and deletes only under sink prefixes', () => {
    expect(
      isAllowed(policy, { action: 's3:GetObject', resource: s3('vendor-drops', 'acme/accounts/a.csv') }),
    ).toBe(true);
    expect(
      isAllowed(policy, { action: 's3:PutObject', resource: s3('vendor-drops', 'acme/accounts/a.csv') }),
    ).toBe(false);
    expect(
      isAllowed(policy, { action: 's3:PutObject', resource: s3('ferry-exports', 'activity/x.csv.gz') }),
    ).toBe(true);
    expect(
      isAllowed(policy, { action: 's3:PutObject', resource: s3('ferry-exports', 'elsewhere/x.csv') }),
    ).toBe(false);
    // A failed run's leftovers are removed from the sink; sources are never deleted from.
    expect(
      isAllowed(policy, { action: 's3:DeleteObject', resource: s3('ferry-exports', 'activity/x.csv.gz') }),
    ).toBe(true);
    expect(
      isAllowed(policy, { action: 's3:DeleteObject', resource: s3('vendor-drops', 'acme/accounts/a.csv') }),
    ).toBe(false);
    expect(
      isAllowed(policy, { action: 's3:DeleteObject', resource: s3('ferry-exports', 'elsewhere/x.csv') }),
    ).toBe(false);
  });

  it('limits one connection’s policy to the buckets used through it', () => {
    expect(compileIamPolicy(project, pipelines, { connection: 'nobody' }).Statement).toEqual([]);
    expect(compileIamPolicy(project, pipelines, { connection: 'demo' })).toEqual(policy);
  });
});

describe('the S3 state backend', () => {
  const { project, pipelines } = loadExample();
  const withState: Project = {
    ...project,
    state: {
      kind: 's3',
      connection: 'demo',
      bucket: 'ferry-state',
      prefix: 'prod/ferry',
      lock: 'required',
      lockTtlMs: 600_000,
    },
  };
  const policy = compileIamPolicy(withState, pipelines);

  it('reads, writes and deletes under the state prefix only', () => {
    const allowed = (action: string, key: string) =>
      isAllowed(policy, { action, resource: s3('ferry-state', key) });
    expect(allowed('s3:PutObject', 'prod/ferry/pipelines/p/state.json')).toBe(true);
    expect(allowed('s3:GetObject', 'prod/ferry/datasets/accounts/manifest.json')).toBe(true);
    expect(allowed('s3:DeleteObject', 'prod/ferry/pipelines/vendor-accounts-csv/lock.json')).toBe(true);
    expect(allowed('s3:DeleteObject', 'prod/ferry/datasets/accounts/lock.json')).toBe(true);
    // The journal, old snapshots and pruned dataset versions are ferry's own files to remove.
    expect(allowed('s3:DeleteObject', 'prod/ferry/pipelines/p/journal.json')).toBe(true);
    expect(allowed('s3:DeleteObject', 'prod/other/lock.json')).toBe(false);
    expect(allowed('s3:PutObject', 'prod/other/x')).toBe(false);
    // On sinks, only to remove what a failed run left; never on sources.
    expect(
      isAllowed(policy, { action: 's3:DeleteObject', resource: s3('ferry-exports', 'activity/x.csv.gz') }),
    ).toBe(true);
    expect(
      isAllowed(policy, { action: 's3:DeleteObject', resource: s3('vendor-drops', 'custom/x.json') }),
    ).toBe(false);
    expect(isAllowed(policy, { action: 's3:ListBucket', resource: 'arn:aws:s3:::ferry-state' })).toBe(true);
  });
});

describe('policy details', () => {
  it('writes * ? $ in keys as policy variables, so they match only themselves', () => {
    expect(escapePolicyPattern('odd*dir?/$x/')).toBe('odd${*}dir${?}/${$}x/');
    const policy = compileAccessPolicy([
      { kind: 'source', connection: 'c', bucket: 'b1', prefix: 'a*b/', partition: 'aws' },
    ]);
    expect(isAllowed(policy, { action: 's3:GetObject', resource: s3('b1', 'a*b/f.csv') })).toBe(true);
    expect(isAllowed(policy, { action: 's3:GetObject', resource: s3('b1', 'aXYb/f.csv') })).toBe(false);
  });

  it('lists a source at the bucket root without a prefix condition, and uses the region’s partition', () => {
    const policy = compileAccessPolicy([
      { kind: 'source', connection: 'c', bucket: 'b1', prefix: '', partition: 'aws-cn' },
    ]);
    expect(isAllowed(policy, { action: 's3:ListBucket', resource: 'arn:aws-cn:s3:::b1' })).toBe(true);
    expect(isAllowed(policy, { action: 's3:ListBucket', resource: 'arn:aws:s3:::b1' })).toBe(false);
  });

  it('compiles a bucket policy for one bucket and principal, and a trust policy with the external id', () => {
    const { project, pipelines } = loadExample();
    const principal = 'arn:aws:iam::358991168639:role/ferry';
    const bucketPolicy = compileBucketPolicy(project, pipelines, { bucket: 'vendor-drops', principal });
    expectGolden('example-bucket-vendor-drops.json', bucketPolicy);
    for (const s of bucketPolicy.Statement) {
      expect(s.Principal).toEqual({ AWS: principal });
      for (const r of [s.Resource].flat()) expect(r).toMatch(/^arn:aws:s3:::vendor-drops(\/|$)/);
    }
    expect(compileTrustPolicy({ principal, externalId: 'acme-2024' }).Statement[0]).toMatchObject({
      Principal: { AWS: principal },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'acme-2024' } },
    });
  });
});
