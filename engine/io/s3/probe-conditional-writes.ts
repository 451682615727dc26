/**
 * Does this endpoint enforce conditional writes? AWS S3 answers a PutObject with `If-None-Match: *`
 * on an existing key, or with an `If-Match` ETag that is not the object's, with 412
 * PreconditionFailed. Some S3-compatible servers ignore the headers and overwrite (s3rver), some
 * refuse them (400/501). Locks and compare-and-swap commits are only safe on the first kind, so a
 * state backend asks once, with a throw-away object of its own: create it, create it again, replace
 * it with a wrong ETag — then delete it.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { wrapS3Error } from './wrap-s3-error.js';

export interface ConditionalWriteProbe {
  enforced: boolean;
  /** What the endpoint did, for messages: "If-None-Match: 412, If-Match: 412". */
  detail: string;
}

type Outcome = 'refused-412' | 'ignored' | 'rejected-header';

/** A wrong ETag in the usual 32-hex form, so no server can mistake it for a malformed header. */
const WRONG_ETAG = '"00000000000000000000000000000000"';

function statusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

export async function probeConditionalWrites(
  client: S3Client,
  target: { connection: string; bucket: string; key: string },
): Promise<ConditionalWriteProbe> {
  const put = async (headers: { IfNoneMatch: '*' } | { IfMatch: string }): Promise<Outcome> => {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Body: Buffer.from('ferry conditional-write probe\n'),
          ...headers,
        }),
      );
      return 'ignored';
    } catch (error) {
      const status = statusOf(error);
      if (status === 412) return 'refused-412';
      // A server that does not implement the header says so (501 NotImplemented, 400 InvalidArgument).
      if (status === 501 || status === 400) return 'rejected-header';
      throw wrapS3Error(error, { operation: 'PutObject', ...target });
    }
  };
  try {
    const created = await put({ IfNoneMatch: '*' });
    if (created === 'rejected-header') {
      return { enforced: false, detail: 'the endpoint rejects the If-None-Match header' };
    }
    // The probe key is fresh, so a 412 here means the server enforces (and a leftover existed).
    const again = created === 'refused-412' ? 'refused-412' : await put({ IfNoneMatch: '*' });
    const wrong = await put({ IfMatch: WRONG_ETAG });
    const say = (o: Outcome) =>
      o === 'refused-412'
        ? '412 as AWS does'
        : o === 'ignored'
          ? 'ignored (overwrote)'
          : 'rejected the header';
    return {
      enforced: again === 'refused-412' && wrong === 'refused-412',
      detail: `If-None-Match on an existing object: ${say(again)}; a wrong If-Match: ${say(wrong)}`,
    };
  } finally {
    await client
      .send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key }))
      .catch(() => undefined);
  }
}
