/**
 * One place that turns connection settings into an S3Client, so every client ferry uses is bounded
 * (connect, request and socket-idle timeouts that actually throw), retries in standard mode, and never
 * sends ambient AWS credentials to a non-AWS endpoint. See RELIABILITY.md, "S3 client settings".
 */

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FerryError } from '../../errors/ferry-error.js';
import { addContentMd5 } from './add-content-md5.js';
import type { S3ConnectionSettings } from './s3-connection.js';
import { tagFailedCommand } from './tag-failed-command.js';

const DEFAULT_ROLE_SESSION_NAME = 'ferry';

function resolveCredentials(settings: S3ConnectionSettings): S3ClientConfig['credentials'] {
  const { auth } = settings;
  switch (auth.kind) {
    case 'static':
      return {
        accessKeyId: auth.accessKeyId,
        secretAccessKey: auth.secretAccessKey,
        ...(auth.sessionToken === undefined ? {} : { sessionToken: auth.sessionToken }),
      };
    case 'assume_role':
      if (settings.endpoint !== undefined) {
        // The role's source credentials come from the default chain, and the temporary credentials
        // are AWS credentials: neither may be sent to a third-party endpoint.
        throw new FerryError(
          'S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT',
          `Connection "${settings.name}" uses assume_role with the custom endpoint ${settings.endpoint}; ferry does not send AWS credentials to a custom endpoint.`,
          {
            context: { connection: settings.name },
            hint: 'Give this connection static keys by reference (access_key_id / secret_access_key from env or a secret file).',
          },
        );
      }
      return fromTemporaryCredentials({
        params: {
          RoleArn: auth.roleArn,
          RoleSessionName: auth.sessionName ?? DEFAULT_ROLE_SESSION_NAME,
          ...(auth.externalId === undefined ? {} : { ExternalId: auth.externalId }),
        },
        clientConfig: { region: settings.region },
      });
    case 'default':
      if (settings.endpoint !== undefined) {
        throw new FerryError(
          'S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT',
          `Connection "${settings.name}" has the custom endpoint ${settings.endpoint} but no credentials; ferry does not send the default AWS credential chain to a custom endpoint.`,
          {
            context: { connection: settings.name },
            hint: 'Give this connection static keys by reference (access_key_id / secret_access_key from env or a secret file).',
          },
        );
      }
      // Leaving credentials unset makes the SDK use its default provider chain.
      return undefined;
  }
}

/**
 * Creates an S3Client for a connection. Throws `S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT` when a custom
 * endpoint would otherwise receive ambient AWS credentials.
 */
export function createS3Client(settings: S3ConnectionSettings): S3Client {
  const credentials = resolveCredentials(settings);
  const checksum = settings.checksumMode === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    ...(credentials === undefined ? {} : { credentials }),
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // Without this the request timeout only logs a warning and a hung server hangs the run.
      throwOnRequestTimeout: true,
      // Socket inactivity, also while a response body streams (ListObjectsV2 bodies included).
      socketTimeout: settings.bodyIdleTimeoutMs,
    }),
  });
  addContentMd5(client);
  tagFailedCommand(client);
  return client;
}
