/**
 * Which identity a client signs as, without sending anything to S3: resolves its credential
 * provider (static keys at once; the AWS chain reads the environment, profile, SSO cache or instance
 * role; an assumed role calls STS). Reports the access key id by its last four characters only
 * (RELIABILITY.md, Secrets) and when the credentials expire.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { FerryError, isFerryError } from '../../errors/ferry-error.js';

export interface ClientIdentity {
  /** The access key id's last four characters. */
  accessKeyIdEnd: string;
  expiration?: Date;
  /** The credentials carry a session token (temporary credentials). */
  temporary: boolean;
}

export async function resolveClientIdentity(client: S3Client, connection: string): Promise<ClientIdentity> {
  try {
    const provider = client.config.credentials;
    const identity = await provider();
    return {
      accessKeyIdEnd: identity.accessKeyId.slice(-4),
      ...(identity.expiration ? { expiration: identity.expiration } : {}),
      temporary: identity.sessionToken !== undefined && identity.sessionToken !== '',
    };
  } catch (error) {
    if (isFerryError(error)) throw error;
    // The SDK's provider errors name files and variables, never values; the cause is not kept.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new FerryError(
      'AUTH_NO_CREDENTIALS',
      `Connection "${connection}" found no credentials: ${message}`,
      {
        context: { connection },
        hint: 'For kind: default, configure the AWS chain (aws configure, AWS_PROFILE, SSO login, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).',
      },
    );
  }
}
