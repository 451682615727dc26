/**
 * `ferry policy`: prints, as JSON, the least-privilege IAM policy for the configured pipelines; with
 * --bucket-policy the bucket policy that grants a principal exactly that in one bucket (delegated
 * access, like the Lytics seed's example but narrower); with --trust-policy the trust policy of a role
 * that a principal may assume only with the external id. Reads configuration only: no credentials.
 */
import type { Pipeline, Project } from '../../config/model.js';
import { ExitCode } from '../../errors/exit-codes.js';
import { FerryError } from '../../errors/ferry-error.js';
import {
  collectS3Accesses,
  compileBucketPolicy,
  compileIamPolicy,
  compileTrustPolicy,
  type PolicyDocument,
} from '../../plan/compile-policy.js';
import { UsageError, type CommandSpec } from '../command.js';
import { loadValidProject } from '../load-valid-project.js';

const PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+)$/;

function selectPipelines(pipelines: readonly Pipeline[], only: readonly string[]): Pipeline[] {
  const unknown = only.filter((name) => !pipelines.some((p) => p.name === name));
  if (unknown.length) {
    throw new FerryError(
      'UNKNOWN_PIPELINE',
      `No pipeline named ${unknown.map((n) => `"${n}"`).join(', ')}.`,
      {
        hint: `Pipelines: ${pipelines.map((p) => p.name).join(', ')}.`,
      },
    );
  }
  return only.length ? pipelines.filter((p) => only.includes(p.name)) : [...pipelines];
}

function principalOf(values: Record<string, unknown>, mode: string): string {
  const principal = values['principal'];
  if (typeof principal !== 'string') throw new UsageError(`${mode} needs --principal ARN.`);
  if (!PRINCIPAL.test(principal)) {
    throw new UsageError(
      `--principal must be an account id or an IAM/STS ARN such as arn:aws:iam::123456789012:role/ferry (got "${principal}").`,
    );
  }
  return principal;
}

function bucketPolicy(
  project: Project,
  pipelines: Pipeline[],
  values: Record<string, unknown>,
): PolicyDocument {
  if (values['external-id'] !== undefined) {
    throw new UsageError(
      'A bucket policy cannot check an external id (S3 requests carry no sts:ExternalId). For delegated access ' +
        'with an external id, give ferry a role: `ferry policy --trust-policy --principal ARN --external-id ID` ' +
        'prints its trust policy and `ferry policy` its permissions.',
    );
  }
  const principal = principalOf(values, '--bucket-policy');
  const buckets = [...new Set(collectS3Accesses(project, pipelines).map((a) => a.bucket))].sort();
  const bucket =
    typeof values['bucket'] === 'string' ? values['bucket'] : buckets.length === 1 ? buckets[0] : undefined;
  if (bucket === undefined) {
    throw new UsageError(
      `A bucket policy is for one bucket; pass --bucket with one of: ${buckets.join(', ') || '(no bucket is used)'}.`,
    );
  }
  if (!buckets.includes(bucket)) {
    throw new UsageError(`No selected pipeline uses bucket "${bucket}"; buckets: ${buckets.join(', ')}.`);
  }
  return compileBucketPolicy(project, pipelines, { bucket, principal });
}

function trustPolicy(project: Project, values: Record<string, unknown>): PolicyDocument {
  const principal = principalOf(values, '--trust-policy');
  const fromFlag = values['external-id'];
  const connection = typeof values['connection'] === 'string' ? values['connection'] : undefined;
  const withExternalId = Object.values(project.connections).filter(
    (c) =>
      c.auth.kind === 'assume_role' &&
      c.auth.externalId !== undefined &&
      (!connection || c.name === connection),
  );
  const configured = withExternalId.length === 1 ? withExternalId[0]?.auth : undefined;
  const externalId =
    typeof fromFlag === 'string'
      ? fromFlag
      : configured?.kind === 'assume_role'
        ? configured.externalId
        : undefined;
  if (externalId === undefined) {
    throw new UsageError(
      'A trust policy for delegated access needs --external-id ID (or --connection NAME of an assume_role connection that sets one).',
    );
  }
  return compileTrustPolicy({ principal, externalId });
}

export const policyCommand: CommandSpec = {
  name: 'policy',
  summary: 'Print the least-privilege IAM policy (or bucket / trust policy) for the configured pipelines.',
  usage:
    'ferry policy [--pipeline NAME…] [--connection NAME] [--bucket-policy --principal ARN [--bucket NAME]] [--trust-policy --principal ARN [--external-id ID]]',
  description:
    'Prints JSON to paste into IAM: ListBucket limited by prefix on source buckets, GetObject on source\n' +
    'prefixes, PutObject + AbortMultipartUpload (and GetObject, to verify uploads) on sink directories,\n' +
    'ListBucket on sink and state buckets (so a free key answers 404, not 403), read/write on the S3 state\n' +
    'prefix and DeleteObject only on its lock objects. Needs no credentials and touches no network.',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    pipeline: {
      type: 'string',
      multiple: true,
      description: 'Only the buckets of this pipeline (repeatable).',
    },
    connection: { type: 'string', description: 'Only the buckets used through this connection.' },
    'bucket-policy': { type: 'boolean', description: 'Print a bucket policy for --principal instead.' },
    'trust-policy': {
      type: 'boolean',
      description: 'Print a role trust policy for --principal with the external id.',
    },
    principal: {
      type: 'string',
      description: 'The AWS principal ferry runs as (account id or IAM/STS ARN).',
    },
    bucket: {
      type: 'string',
      description: 'The bucket of --bucket-policy (needed when pipelines use several).',
    },
    'external-id': { type: 'string', description: 'The external id of --trust-policy.' },
  },
  examples: [
    'ferry policy > ferry-policy.json',
    'ferry policy --connection vendor',
    'ferry policy --bucket-policy --principal arn:aws:iam::123456789012:role/ferry --bucket vendor-drops',
    'ferry policy --trust-policy --principal arn:aws:iam::123456789012:role/ferry --external-id acme-ferry-2024',
  ],
  run: ({ values, cwd, env, output }) => {
    if (values['bucket-policy'] === true && values['trust-policy'] === true) {
      throw new UsageError('Use one of --bucket-policy and --trust-policy.');
    }
    const loaded = loadValidProject({ values, cwd, env, output });
    if (!loaded) return Promise.resolve(ExitCode.invalidConfig);
    const { project } = loaded;
    const connection = values['connection'];
    if (typeof connection === 'string' && !(connection in project.connections)) {
      throw new UsageError(
        `No connection named "${connection}"; connections: ${Object.keys(project.connections).join(', ')}.`,
      );
    }
    const pipelines = selectPipelines(loaded.pipelines, (values['pipeline'] as string[] | undefined) ?? []);
    let document: PolicyDocument;
    if (values['trust-policy'] === true) document = trustPolicy(project, values);
    else if (values['bucket-policy'] === true) document = bucketPolicy(project, pipelines, values);
    else {
      document = compileIamPolicy(project, pipelines, typeof connection === 'string' ? { connection } : {});
    }
    if (document.Statement.length === 0) {
      throw new UsageError(
        'The selected pipelines use no S3 bucket through this connection: there is no policy to print.',
      );
    }
    output.stdout(`${JSON.stringify(document, null, 2)}\n`);
    return Promise.resolve(ExitCode.ok);
  },
};
