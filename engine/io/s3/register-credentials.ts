/**
 * Credentials an S3 (or STS) client signs with are registered with the redactor
 * (errors/redact-secrets.ts) the moment they are known: static keys at once, a provider's (the
 * default chain's profile, SSO, web identity or container role; an assumed role's session) each
 * time it resolves, which is before the request they sign is sent. A server that echoes the request's
 * headers in an error can then not get them printed or recorded (docs/security.md R4), whatever
 * source the SDK found them in.
 */
import { registerSecret } from '../../errors/redact-secrets.js';

/** What a credential provider resolves (structurally the SDK's AwsCredentialIdentity). */
interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function registerIdentity(identity: SigningIdentity): void {
  registerSecret(identity.accessKeyId);
  registerSecret(identity.secretAccessKey);
  registerSecret(identity.sessionToken);
}

/** `credentials`, registered now. */
export function registerStaticCredentials<I extends SigningIdentity>(credentials: I): I {
  registerIdentity(credentials);
  return credentials;
}

/** A provider that registers every identity `provider` resolves before handing it to the SDK. */
export function registeringProvider<A extends unknown[], I extends SigningIdentity>(
  provider: (...args: A) => Promise<I>,
): (...args: A) => Promise<I> {
  return async (...args: A): Promise<I> => {
    const identity = await provider(...args);
    registerIdentity(identity);
    return identity;
  };
}
