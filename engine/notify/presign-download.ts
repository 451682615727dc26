/**
 * A presigned GET link to an object ferry wrote (the seed's "Email to … a link to the completed
 * file"). Signed locally with the sink connection's credentials (no request is sent); SigV4 links live
 * at most 7 days, and a link signed with temporary credentials (an assumed role) stops working when
 * that session expires, whichever comes first. The link is a bearer credential for that one object:
 * it goes into the email and nowhere else (never into logs, webhooks or state).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FerryError } from '../errors/ferry-error.js';

export const MAX_PRESIGN_EXPIRES_MS = 7 * 24 * 3_600_000;

export async function presignDownload(
  client: S3Client,
  object: { bucket: string; key: string },
  options: { expiresMs: number; now: Date },
): Promise<{ url: string; expiresAt: string }> {
  const expiresIn = Math.max(1, Math.floor(Math.min(options.expiresMs, MAX_PRESIGN_EXPIRES_MS) / 1000));
  try {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: object.bucket, Key: object.key }), {
      expiresIn,
      signingDate: options.now,
    });
    return { url, expiresAt: new Date(options.now.getTime() + expiresIn * 1000).toISOString() };
  } catch (error) {
    throw new FerryError(
      'NOTIFY_PRESIGN_FAILED',
      `Could not sign a download link for s3://${object.bucket}/${object.key}.`,
      {
        context: {
          bucket: object.bucket,
          key: object.key,
          ...(error instanceof FerryError ? { cause: error.code } : {}),
        },
        cause: error,
        hint: 'Check the sink connection’s credentials (they sign the link).',
      },
    );
  }
}
