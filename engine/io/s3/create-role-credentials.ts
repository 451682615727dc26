/**
 * `auth: assume_role`: STS AssumeRole (through @aws-sdk/credential-providers' fromTemporaryCredentials)
 * on top of a source identity — static keys or the default chain. The S3 client memoizes what this
 * returns and asks again 5 minutes before the session expires, so sessions are cached and refreshed.
 *
 * A role in another account than the source identity needs an external id (the confused-deputy guard
 * of the role's trust policy). When none is configured, ferry asks STS GetCallerIdentity once which
 * account the source is in, and refuses a cross-account role before calling AssumeRole.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { registerSecret } from '../../errors/redact-secrets.js';
import { FerryError } from '../../errors/ferry-error.js';
import type { EndpointGuard } from './guard-endpoint-host.js';
import { registeringProvider } from './register-credentials.js';
import type { S3AssumeRoleAuth, S3ConnectionSettings } from './s3-connection.js';
import { sanitizeCause } from './wrap-s3-error.js';

type RoleCredentialProvider = ReturnType<typeof fromTemporaryCredentials>;
type SourceCredentials = NonNullable<Parameters<typeof fromTemporaryCredentials>[0]['masterCredentials']>;

export const DEFAULT_ROLE_SESSION_NAME = 'ferry';
export const DEFAULT_ROLE_DURATION_SECONDS = 3600;

export interface RoleCredentialsOptions {
  /** Bounded handler for STS calls (the connection's timeouts; a guarded agent for a custom sts_endpoint). */
  requestHandler: NodeHttpHandler;
  /** Checks a custom sts_endpoint's host before the first STS request. */
  stsGuard?: EndpointGuard;
}

/** The 12-digit account of an IAM role ARN (arn:aws:iam::123456789012:role/name). */
export function accountOfRoleArn(roleArn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(roleArn)?.[1];
}

interface StsFailure {
  name: string | undefined;
  status: number | undefined;
  requestId: string | undefined;
  message: string;
}

function describeStsFailure(error: unknown): StsFailure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = (record['$metadata'] ?? {}) as Record<string, unknown>;
  const message = typeof record['message'] === 'string' ? record['message'] : String(error);
  return {
    name: typeof record['name'] === 'string' ? record['name'] : undefined,
    status: typeof metadata['httpStatusCode'] === 'number' ? metadata['httpStatusCode'] : undefined,
    requestId: typeof metadata['requestId'] === 'string' ? metadata['requestId'] : undefined,
    message: message.length > 300 ? `${message.slice(0, 300)}…` : message,
  };
}

function stsError(
  code: 'AUTH_ASSUME_ROLE_FAILED' | 'AUTH_SOURCE_IDENTITY_FAILED',
  error: unknown,
  context: { connection: string; roleArn: string; operation: string },
  hint: string,
): FerryError {
  if (error instanceof FerryError) return error;
  const failure = describeStsFailure(error);
  const status = [failure.status, failure.name].filter((part) => part !== undefined).join(' ');
  return new FerryError(
    code,
    `Connection "${context.connection}": STS ${context.operation} for role ${context.roleArn} failed${status ? ` (${status})` : ''}: ${failure.message}`,
    {
      context: {
        connection: context.connection,
        operation: context.operation,
        roleArn: context.roleArn,
        ...(failure.name === undefined ? {} : { awsErrorName: failure.name }),
        ...(failure.status === undefined ? {} : { httpStatus: failure.status }),
        ...(failure.requestId === undefined ? {} : { requestId: failure.requestId }),
      },
      cause: sanitizeCause(error),
      retryable: failure.status === undefined || failure.status === 429 || failure.status >= 500,
      hint,
    },
  );
}

function sourceCredentials(auth: S3AssumeRoleAuth): SourceCredentials {
  const source = auth.source;
  if (source?.kind === 'static') {
    return {
      accessKeyId: source.accessKeyId,
      secretAccessKey: source.secretAccessKey,
      ...(source.sessionToken === undefined ? {} : { sessionToken: source.sessionToken }),
    };
  }
  // Env, shared config/profile (SSO), web identity (EKS service accounts), container and instance
  // metadata; registered, as an STS endpoint that echoes its request could print them too.
  return registeringProvider(fromNodeProviderChain());
}

/** The credential provider for an `assume_role` connection; errors are FerryErrors with AUTH_* codes. */
export function createRoleCredentials(
  settings: S3ConnectionSettings,
  auth: S3AssumeRoleAuth,
  options: RoleCredentialsOptions,
): RoleCredentialProvider {
  const master = sourceCredentials(auth);
  const clientConfig = {
    region: auth.stsRegion ?? settings.region,
    ...(auth.stsEndpoint === undefined ? {} : { endpoint: auth.stsEndpoint }),
    requestHandler: options.requestHandler,
    maxAttempts: settings.maxAttempts,
  };
  const context = { connection: settings.name, roleArn: auth.roleArn };
  const assumeRole = fromTemporaryCredentials({
    params: {
      RoleArn: auth.roleArn,
      RoleSessionName: auth.sessionName ?? DEFAULT_ROLE_SESSION_NAME,
      DurationSeconds: auth.durationSeconds ?? DEFAULT_ROLE_DURATION_SECONDS,
      ...(auth.externalId === undefined ? {} : { ExternalId: auth.externalId }),
    },
    masterCredentials: master,
    clientConfig,
  });
  let sameAccountChecked = auth.externalId !== undefined;

  const checkSameAccount = async (): Promise<void> => {
    const roleAccount = accountOfRoleArn(auth.roleArn);
    const sts = new STSClient({ ...clientConfig, credentials: master });
    let account: string | undefined;
    try {
      account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    } catch (error) {
      throw stsError(
        'AUTH_SOURCE_IDENTITY_FAILED',
        error,
        { ...context, operation: 'GetCallerIdentity' },
        'ferry checks the source identity’s account before assuming a role without external_id; check the source credentials, or set external_id (the role’s trust policy then decides).',
      );
    } finally {
      sts.destroy();
    }
    if (account === undefined || account !== roleAccount) {
      throw new FerryError(
        'AUTH_EXTERNAL_ID_REQUIRED',
        `Connection "${settings.name}": role ${auth.roleArn} is in account ${roleAccount ?? '?'}, but the source identity is in account ${account ?? '(unknown)'}; a cross-account role needs an external_id.`,
        {
          context: { ...context, sourceAccount: account ?? '', roleAccount: roleAccount ?? '' },
          hint: 'Agree an external id with the role’s owner, require it in the role’s trust policy (sts:ExternalId) and set auth.external_id.',
        },
      );
    }
  };

  return async (identityProperties) => {
    if (options.stsGuard && auth.stsEndpoint !== undefined) {
      await options.stsGuard.check(new URL(auth.stsEndpoint).hostname);
    }
    if (!sameAccountChecked) {
      await checkSameAccount();
      sameAccountChecked = true;
    }
    try {
      const credentials = await assumeRole(identityProperties);
      // A server that echoes a request's headers must not get the session's secrets printed.
      registerSecret(credentials.secretAccessKey);
      registerSecret(credentials.sessionToken);
      return credentials;
    } catch (error) {
      throw stsError(
        'AUTH_ASSUME_ROLE_FAILED',
        error,
        { ...context, operation: 'AssumeRole' },
        'Check that the role’s trust policy allows the source identity (and the external id, if it requires one), and that the source credentials are valid.',
      );
    }
  };
}
