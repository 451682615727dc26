/**
 * One place that turns connection settings into an S3Client, so every client ferry uses is bounded
 * (connect, request and socket-idle timeouts that actually throw), retries in standard mode, never
 * sends AWS credentials to a custom endpoint unless the connection says so, and never talks to a
 * link-local / instance-metadata address. See RELIABILITY.md, "S3 client settings", and
 * docs/authentication.md.
 */

import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FerryError } from '../../errors/ferry-error.js';
import { isForbiddenHost } from '../../net/metadata-address.js';
import { addContentMd5 } from './add-content-md5.js';
import { createRoleCredentials } from './create-role-credentials.js';
import {
  addEndpointGuard,
  createEndpointGuard,
  createGuardedAgents,
  resolveWithSystemDns,
  type EndpointGuard,
  type HostResolver,
} from './guard-endpoint-host.js';
import { registeringProvider, registerStaticCredentials } from './register-credentials.js';
import type { S3ConnectionSettings } from './s3-connection.js';
import { tagFailedCommand } from './tag-failed-command.js';

export interface CreateS3ClientOptions {
  /** How host names of custom endpoints are resolved for the metadata-address guard (tests inject one). */
  resolveHost?: HostResolver;
}

function refuseAwsCredentials(settings: S3ConnectionSettings, what: string, endpoint: string): FerryError {
  return new FerryError(
    'S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT',
    `Connection "${settings.name}" would send ${what} to the custom endpoint ${endpoint}; ferry does not send AWS credentials to a custom endpoint unless told to.`,
    {
      context: { connection: settings.name },
      hint: 'Give this connection static keys by reference (access_key_id / secret_access_key from env or a secret file), or set allow_custom_endpoint: true if the endpoint really is AWS.',
    },
  );
}

function refuseForbiddenHost(settings: S3ConnectionSettings, endpoint: string): void {
  const host = new URL(endpoint).hostname;
  if (!isForbiddenHost(host)) return;
  throw new FerryError(
    'S3_FORBIDDEN_ENDPOINT_ADDRESS',
    `Connection "${settings.name}": the endpoint host ${host} is a link-local / instance-metadata address; ferry sends nothing there.`,
    {
      context: { connection: settings.name, host },
      hint: 'Point the endpoint at an S3-compatible service.',
    },
  );
}

function createRequestHandler(
  settings: S3ConnectionSettings,
  guard: EndpointGuard | undefined,
): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    // Without this the request timeout only logs a warning and a hung server hangs the run.
    throwOnRequestTimeout: true,
    // Socket inactivity, also while a response body streams (ListObjectsV2 bodies included).
    socketTimeout: settings.bodyIdleTimeoutMs,
    ...(guard === undefined ? {} : createGuardedAgents(guard)),
  });
}

function resolveCredentials(
  settings: S3ConnectionSettings,
  resolveHost: HostResolver,
): NonNullable<S3ClientConfig['credentials']> {
  const { auth, endpoint } = settings;
  switch (auth.kind) {
    case 'static':
      return registerStaticCredentials({
        accessKeyId: auth.accessKeyId,
        secretAccessKey: auth.secretAccessKey,
        ...(auth.sessionToken === undefined ? {} : { sessionToken: auth.sessionToken }),
      });
    case 'assume_role': {
      if (endpoint !== undefined && auth.allowCustomEndpoint !== true) {
        throw refuseAwsCredentials(settings, `the session credentials of role ${auth.roleArn}`, endpoint);
      }
      const stsGuard =
        auth.stsEndpoint === undefined
          ? undefined
          : createEndpointGuard({ connection: settings.name, resolveHost });
      if (auth.stsEndpoint !== undefined) {
        refuseForbiddenHost(settings, auth.stsEndpoint);
        const source = auth.source ?? { kind: 'default' };
        if (source.kind === 'default' && source.allowCustomEndpoint !== true) {
          throw refuseAwsCredentials(settings, 'the default AWS credential chain', auth.stsEndpoint);
        }
      }
      return registeringProvider(
        createRoleCredentials(settings, auth, {
          requestHandler: createRequestHandler(settings, stsGuard),
          ...(stsGuard === undefined ? {} : { stsGuard }),
        }),
      );
    }
    case 'default':
      if (endpoint !== undefined && auth.allowCustomEndpoint !== true) {
        throw refuseAwsCredentials(settings, 'the default AWS credential chain', endpoint);
      }
      // The SDK's own default chain (env, profile, SSO, web identity, container, instance role), made
      // explicit so that whatever it resolves is registered with the redactor before it signs.
      return registeringProvider(fromNodeProviderChain());
  }
}

/**
 * Creates an S3Client for a connection. Throws `S3_DEFAULT_CREDENTIALS_ON_CUSTOM_ENDPOINT` when a custom
 * endpoint would receive AWS credentials it was not allowed, and `S3_FORBIDDEN_ENDPOINT_ADDRESS` for a
 * metadata host; a custom endpoint whose name resolves to such an address fails its first request with
 * the same code.
 */
export function createS3Client(
  settings: S3ConnectionSettings,
  options: CreateS3ClientOptions = {},
): S3Client {
  const resolveHost = options.resolveHost ?? resolveWithSystemDns;
  if (settings.endpoint !== undefined) refuseForbiddenHost(settings, settings.endpoint);
  const credentials = resolveCredentials(settings, resolveHost);
  const guard =
    settings.endpoint === undefined
      ? undefined
      : createEndpointGuard({ connection: settings.name, resolveHost });
  const checksum = settings.checksumMode === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    credentials,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts,
    requestHandler: createRequestHandler(settings, guard),
  });
  if (guard !== undefined && settings.endpoint !== undefined) {
    addEndpointGuard(client, guard, new URL(settings.endpoint).hostname);
  }
  addContentMd5(client);
  tagFailedCommand(client);
  return client;
}
