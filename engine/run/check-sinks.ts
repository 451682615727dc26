/**
 * Before a run does any work, its sinks must exist and be usable: `plan` reports a missing or
 * forbidden sink bucket the way `apply` would meet it, instead of promising outputs it cannot write.
 * HeadBucket needs no write; an endpoint that answers it with 403 is reported as access denied.
 */
import type { Pipeline } from '../config/model.js';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { headBucket } from '../io/s3/head-bucket.js';
import type { S3Access } from '../steps/step-context.js';

/** Every bucket a pipeline writes to, with its connection. */
export function sinkBuckets(pipeline: Pipeline): Array<{ connection: string; bucket: string; what: string }> {
  const { sink } = pipeline;
  if (sink.kind === 's3') return [{ connection: sink.connection, bucket: sink.bucket, what: 'sink' }];
  return sink.rejects
    ? [{ connection: sink.rejects.connection, bucket: sink.rejects.bucket, what: 'sink.rejects' }]
    : [];
}

export async function checkSinks(pipeline: Pipeline, s3: (connection: string) => S3Access): Promise<void> {
  for (const { connection, bucket, what } of sinkBuckets(pipeline)) {
    try {
      await headBucket(s3(connection).client, { connection, bucket });
    } catch (error) {
      if (!isFerryError(error)) throw error;
      const missing = error.code === 'S3_NO_SUCH_BUCKET' || error.context.httpStatus === 404;
      if (!missing && error.code !== 'S3_ACCESS_DENIED') throw error;
      throw new FerryError(
        missing ? 'SINK_BUCKET_MISSING' : 'SINK_ACCESS_DENIED',
        missing
          ? `The ${what} bucket "${bucket}" (connection ${connection}) does not exist; nothing was written.`
          : `The ${what} bucket "${bucket}" (connection ${connection}) refuses these credentials (HeadBucket: access denied); nothing was written.`,
        {
          cause: error,
          context: {
            pipeline: pipeline.name,
            bucket,
            connection,
            config: what === 'sink' ? '/sink/bucket' : '/sink/rejects/bucket',
          },
          hint: missing
            ? 'Create the bucket, or fix the bucket name in the pipeline.'
            : `Allow s3:ListBucket and s3:PutObject on arn:aws:s3:::${bucket} for these credentials (\`ferry policy\` prints the policy).`,
        },
      );
    }
  }
}
