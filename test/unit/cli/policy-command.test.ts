/**
 * `ferry policy` on the repository's example project, in-process: the IAM policy is what
 * compileIamPolicy returns (its content is golden-tested in test/unit/plan/compile-policy.test.ts),
 * and the bucket / trust policy modes and their usage errors (exit 64) say what is missing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../engine/errors/exit-codes.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PRINCIPAL = 'arn:aws:iam::358991168639:role/ferry';
const policy = (args: string[]) => runCliCaptured(['policy', ...args], { cwd: ROOT, env: {} });

describe('ferry policy', () => {
  it('prints the IAM policy of every pipeline as JSON', async () => {
    const run = await policy([]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const document = JSON.parse(run.stdout) as { Version: string; Statement: { Sid: string }[] };
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement.map((s) => s.Sid)).toEqual([
      'ListSourcePrefixes1',
      'ListBucketsWhereMissingKeysAreExpected',
      'FindOpenUploadsOfFailedRuns',
      'ReadSourceObjects',
      'WriteSinkObjectsAndVerifyThem',
      'DeleteOrphanedOutputsOfFailedRuns',
    ]);
  });

  it('narrows to one pipeline', async () => {
    const run = await policy(['--pipeline', 'vendor-accounts-csv']);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const document = JSON.parse(run.stdout) as { Statement: { Sid: string; Resource: string | string[] }[] };
    expect(document.Statement.find((s) => s.Sid === 'ReadSourceObjects')?.Resource).toBe(
      'arn:aws:s3:::vendor-drops/acme/accounts/*',
    );
  });

  it('prints a bucket policy for one bucket and principal', async () => {
    const run = await policy(['--bucket-policy', '--principal', PRINCIPAL, '--bucket', 'ferry-exports']);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const document = JSON.parse(run.stdout) as { Statement: { Principal: unknown }[] };
    expect(
      document.Statement.every((s) => JSON.stringify(s.Principal) === JSON.stringify({ AWS: PRINCIPAL })),
    ).toBe(true);
  });

  it('prints a trust policy that requires the external id', async () => {
    const run = await policy(['--trust-policy', '--principal', PRINCIPAL, '--external-id', 'acme-2024']);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout)).toMatchObject({
      Statement: [
        { Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'acme-2024' } } },
      ],
    });
  });

  it.each([
    [['--bucket-policy', '--principal', PRINCIPAL], '--bucket'],
    [['--bucket-policy', '--bucket', 'ferry-exports'], '--principal'],
    [['--bucket-policy', '--principal', 'ferry', '--bucket', 'ferry-exports'], '--principal must be'],
    [
      ['--bucket-policy', '--principal', PRINCIPAL, '--bucket', 'vendor-drops', '--external-id', 'x1'],
      'trust-policy',
    ],
    [['--trust-policy', '--principal', PRINCIPAL], '--external-id'],
    [['--connection', 'nope'], 'No connection named "nope"'],
  ])('refuses %j as a usage error', async (args, needle) => {
    const run = await policy(args);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain(needle);
    expect(run.stdout).toBe('');
  });

  it('names an unknown pipeline', async () => {
    const run = await policy(['--pipeline', 'nope']);
    expect(run.code).toBe(ExitCode.failure);
    expect(run.stderr).toContain('UNKNOWN_PIPELINE');
  });
});
