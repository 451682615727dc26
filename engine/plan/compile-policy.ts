/**
 * `ferry policy`: the least-privilege IAM policy for the configured pipelines, compiled from the
 * configuration alone (pure: no credentials, no network). What each S3 call of ferry needs:
 *
 *   ListObjectsV2                        → s3:ListBucket on the bucket, s3:prefix = the source prefix
 *   GetObject, HeadObject                → s3:GetObject on the key
 *   PutObject, Create/UploadPart/Complete → s3:PutObject; AbortMultipartUpload → s3:AbortMultipartUpload
 *   HeadBucket                           → s3:ListBucket; DeleteObject → s3:DeleteObject
 *
 * S3 answers a GET/HEAD of a missing key with 403 instead of 404 unless the caller may list the bucket,
 * and a prefix condition does not apply to that check (the request has no s3:prefix). Sinks (ferry
 * checks that an output key is free before writing it) and the state bucket (a missing pointer or lock
 * is normal) therefore get s3:ListBucket without a prefix condition; sources get it with one.
 * DeleteObject is granted on sink prefixes only to remove what a failed run uploaded and no run
 * committed (objects carrying that run's id; see run/remove-orphans.ts) — leave that statement out and
 * ferry keeps such objects and reports them in every plan instead — and under the S3 state backend's
 * prefix, where ferry replaces and prunes its own files (journal, old snapshots and dataset versions,
 * locks). Source objects are never deleted.
 */
import type { Pipeline, Project } from '../config/model.js';
import { normalizeDirectory } from './render-output-key.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal?: { AWS: string };
  Action: string | string[];
  /** Absent only in a role trust policy. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** One place ferry reads or writes, and why. */
export interface S3Access {
  kind: 'source' | 'sink' | 'state';
  connection: string;
  bucket: string;
  /** Key prefix as ferry uses it ('' is the whole bucket). */
  prefix: string;
  /** arn:<partition>:s3::: — aws, aws-cn or aws-us-gov from the connection's region. */
  partition: string;
}

export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** A key pattern for a policy: `*`, `?` and `$` in keys are written as the policy variables ${*} ${?} ${$}. */
export function escapePolicyPattern(text: string): string {
  return text.replace(/[*?$]/g, (c) => `\${${c}}`);
}

const bucketArn = (a: Pick<S3Access, 'partition' | 'bucket'>) => `arn:${a.partition}:s3:::${a.bucket}`;
const objectArn = (a: Pick<S3Access, 'partition' | 'bucket'>, pattern: string) =>
  `${bucketArn(a)}/${pattern}`;

/** Every bucket and prefix the pipelines (and the S3 state backend) touch, through which connection. */
export function collectS3Accesses(project: Project, pipelines: readonly Pipeline[]): S3Access[] {
  const accesses: S3Access[] = [];
  const add = (kind: S3Access['kind'], connection: string, bucket: string, prefix: string) => {
    const region = project.connections[connection]?.region ?? 'us-east-1';
    accesses.push({ kind, connection, bucket, prefix, partition: partitionOfRegion(region) });
  };
  for (const pipeline of pipelines) {
    const { source, sink } = pipeline;
    if (source.kind === 's3') add('source', source.connection, source.bucket, source.prefix);
    if (sink.kind === 's3') add('sink', sink.connection, sink.bucket, normalizeDirectory(sink.directory));
    if (sink.kind === 'dataset' && sink.rejects) {
      add('sink', sink.rejects.connection, sink.rejects.bucket, normalizeDirectory(sink.rejects.directory));
    }
  }
  if (project.state.kind === 's3') {
    add('state', project.state.connection, project.state.bucket, normalizeDirectory(project.state.prefix));
  }
  return accesses;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const one = (values: string[]) => (values.length === 1 ? (values[0] as string) : values);

function statement(
  sid: string,
  actions: string[],
  resources: string[],
  extra: Pick<PolicyStatement, 'Condition' | 'Principal'> = {},
): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    ...(extra.Principal ? { Principal: extra.Principal } : {}),
    Action: one(actions),
    Resource: one(sorted(resources)),
    ...(extra.Condition ? { Condition: extra.Condition } : {}),
  };
}

function listStatements(
  accesses: readonly S3Access[],
  principal: PolicyStatement['Principal'],
): PolicyStatement[] {
  const whole = new Set<string>();
  const byBucket = new Map<string, Set<string>>();
  for (const access of accesses) {
    const arn = bucketArn(access);
    if (access.kind !== 'source' || access.prefix === '') whole.add(arn);
    else byBucket.set(arn, (byBucket.get(arn) ?? new Set()).add(`${escapePolicyPattern(access.prefix)}*`));
  }
  const extra = principal ? { Principal: principal } : {};
  const out: PolicyStatement[] = [];
  let n = 0;
  for (const arn of sorted(byBucket.keys())) {
    if (whole.has(arn)) continue;
    n += 1;
    out.push(
      statement(`ListSourcePrefixes${n}`, ['s3:ListBucket'], [arn], {
        ...extra,
        Condition: { StringLike: { 's3:prefix': one(sorted(byBucket.get(arn) ?? [])) } },
      }),
    );
  }
  if (whole.size) {
    // Sinks and state: a HEAD/GET of a free key must answer 404, which S3 does only with ListBucket.
    out.push(statement('ListBucketsWhereMissingKeysAreExpected', ['s3:ListBucket'], [...whole], extra));
  }
  const sinkBuckets = sorted(new Set(accesses.filter((a) => a.kind === 'sink').map(bucketArn)));
  if (sinkBuckets.length) {
    // Multipart uploads a killed run left open are found (and aborted) by listing them.
    out.push(statement('FindOpenUploadsOfFailedRuns', ['s3:ListBucketMultipartUploads'], sinkBuckets, extra));
  }
  return out;
}

/** The statements for these accesses; with a principal, as a bucket policy (resource policy). */
export function compileAccessPolicy(
  accesses: readonly S3Access[],
  options: { principal?: string } = {},
): PolicyDocument {
  const principal = options.principal === undefined ? undefined : { AWS: options.principal };
  const extra = principal ? { Principal: principal } : {};
  const keys = (kind: S3Access['kind']) =>
    accesses.filter((a) => a.kind === kind).map((a) => objectArn(a, `${escapePolicyPattern(a.prefix)}*`));
  const state = accesses.filter((a) => a.kind === 'state');
  const statements = [...listStatements(accesses, principal)];
  const sources = keys('source');
  if (sources.length) statements.push(statement('ReadSourceObjects', ['s3:GetObject'], sources, extra));
  const sinks = keys('sink');
  if (sinks.length) {
    statements.push(
      statement(
        'WriteSinkObjectsAndVerifyThem',
        ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        sinks,
        extra,
      ),
    );
  }
  if (sinks.length) {
    statements.push(statement('DeleteOrphanedOutputsOfFailedRuns', ['s3:DeleteObject'], sinks, extra));
  }
  if (state.length) {
    statements.push(
      statement(
        'ReadWriteState',
        ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
        keys('state'),
        extra,
      ),
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The identity policy for the role or user ferry runs as (optionally only one connection's buckets). */
export function compileIamPolicy(
  project: Project,
  pipelines: readonly Pipeline[],
  options: { connection?: string } = {},
): PolicyDocument {
  const accesses = collectS3Accesses(project, pipelines).filter(
    (a) => options.connection === undefined || a.connection === options.connection,
  );
  return compileAccessPolicy(accesses);
}

/** A bucket policy that lets `principal` do exactly what ferry does in `bucket` (narrower than the seed's). */
export function compileBucketPolicy(
  project: Project,
  pipelines: readonly Pipeline[],
  options: { bucket: string; principal: string },
): PolicyDocument {
  const accesses = collectS3Accesses(project, pipelines).filter((a) => a.bucket === options.bucket);
  return compileAccessPolicy(accesses, { principal: options.principal });
}

/**
 * The trust policy of a role that `principal` may assume only with the external id: the part of
 * delegated access that can check one (S3 bucket policies never see sts:ExternalId).
 */
export function compileTrustPolicy(options: { principal: string; externalId: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LetFerryAssumeThisRoleWithTheExternalId',
        Effect: 'Allow',
        Principal: { AWS: options.principal },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': options.externalId } },
      },
    ],
  };
}
