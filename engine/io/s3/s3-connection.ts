/**
 * The normalized S3 connection settings that the rest of ferry hands to the S3 access layer.
 * Config parsing and defaults live in engine/config; this layer only consumes the result, so it can be
 * tested (and reused) without any config file.
 */

/** Fixed keys (secret values arrive already resolved from their references). */
export interface S3StaticAuth {
  kind: 'static';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The AWS SDK's default credential chain. `allowCustomEndpoint`: it may sign requests to a custom
 * endpoint (the connection's, or for an assumed role's source the STS endpoint). Default false.
 */
export interface S3DefaultChainAuth {
  kind: 'default';
  allowCustomEndpoint?: boolean;
}

/** STS AssumeRole on top of `source` (default: the default chain); sessions are cached and refreshed. */
export interface S3AssumeRoleAuth {
  kind: 'assume_role';
  roleArn: string;
  /** Without it, the role must be in the source identity's account (checked with GetCallerIdentity). */
  externalId?: string;
  /** Default `ferry`. */
  sessionName?: string;
  /** Default 3600. */
  durationSeconds?: number;
  source?: S3DefaultChainAuth | S3StaticAuth;
  /** A custom STS endpoint; default AWS's regional one. */
  stsEndpoint?: string;
  /** Default: the connection's region. */
  stsRegion?: string;
  /** The session credentials may be sent to the connection's custom endpoint. Default false. */
  allowCustomEndpoint?: boolean;
}

/** How the connection authenticates. */
export type S3Auth = S3DefaultChainAuth | S3StaticAuth | S3AssumeRoleAuth;

export interface S3ConnectionSettings {
  /** Connection name from config; used in error messages, never a secret. */
  name: string;
  region: string;
  /** Custom endpoint (MinIO, R2, s3rver). When set, forcePathStyle is usually true. */
  endpoint?: string;
  forcePathStyle: boolean;
  /**
   * `when_required` turns off the SDK's default CRC checksums and `aws-chunked` bodies, which many
   * S3-compatible servers reject or store verbatim. ferry then adds its own integrity checks.
   */
  checksumMode: 'when_required' | 'when_supported';
  auth: S3Auth;
  /** Time to establish the TCP connection. */
  connectTimeoutMs: number;
  /** Time from sending a request (including its body) until the response headers arrive. */
  requestTimeoutMs: number;
  /** Longest silence on the socket, including while a response body is streaming. */
  bodyIdleTimeoutMs: number;
  /** Attempts per request, the first one included (SDK standard retry mode). */
  maxAttempts: number;
}

/** Defaults for the numeric limits of a connection: every network call is bounded (RELIABILITY I7). */
export const DEFAULT_S3_TIMEOUTS = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 120_000,
  bodyIdleTimeoutMs: 30_000,
  maxAttempts: 5,
} as const satisfies Pick<
  S3ConnectionSettings,
  'connectTimeoutMs' | 'requestTimeoutMs' | 'bodyIdleTimeoutMs' | 'maxAttempts'
>;
