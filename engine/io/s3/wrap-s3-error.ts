/**
 * The boundary between the AWS SDK (and Node's network errors) and ferry: every S3 failure becomes a
 * FerryError with a stable, public code, the AWS error name, HTTP status and request id, and a message
 * that names the operation and the resource and says what to do next. Credentials never appear: the
 * cause is a copy of the original error without the fields that can carry them (see sanitizeCause),
 * and every text that came from the server (its message, error code, name) is passed through
 * redactSecrets, since a server can echo the access key id or session token it was sent.
 */

import { FerryError, type FerryErrorContext } from '../../errors/ferry-error.js';
import { redactSecrets } from '../../errors/redact-secrets.js';
import { failedCommandOf } from './tag-failed-command.js';

/**
 * Where a failed S3 call was aimed. `operation` is the S3 API name, e.g. `GetObject`; when the client
 * recorded the command that actually failed (see tag-failed-command.ts), that name wins.
 */
export interface S3ErrorTarget {
  operation: string;
  connection: string;
  bucket: string;
  /** Object key, or the prefix for a listing. */
  key?: string | undefined;
}

/** The IAM action that an S3 API call needs, for the "check that ... allow" advice. */
const IAM_ACTIONS: Readonly<Record<string, string>> = {
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  DeleteObject: 's3:DeleteObject',
  CopyObject: 's3:PutObject',
  CreateBucket: 's3:CreateBucket',
};

const INVALID_CREDENTIAL_NAMES = new Set([
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);
const SIGNATURE_NAMES = new Set([
  'SignatureDoesNotMatch',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
]);
const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestLimitExceeded',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
/** Fields copied from the original error to the cause we keep; everything else is left behind. */
const SAFE_CAUSE_FIELDS = ['code', 'errno', 'syscall', '$fault', '$metadata'];
const MAX_CAUSE_DEPTH = 5;

/**
 * A copy of the error that keeps what helps a diagnosis (name, message, stack, code, `$metadata`) and
 * leaves behind what must not be logged: S3 echoes the access key id and string to sign in signature
 * errors, and the SDK's (non-deletable) `$response` holds the raw request, whose Authorization header
 * carries the access key id and a signature that can be replayed for minutes.
 */
export function sanitizeCause(error: unknown, depth = 0): Error {
  if (!(error instanceof Error)) {
    return new Error(typeof error === 'string' ? error : `non-error value thrown (${typeof error})`);
  }
  const clean = new Error(redactSecrets(error.message));
  clean.name = error.name;
  if (error.stack !== undefined) clean.stack = redactSecrets(error.stack);
  const source = error as unknown as Record<string, unknown>;
  const target = clean as unknown as Record<string, unknown>;
  for (const field of SAFE_CAUSE_FIELDS) {
    const value = source[field];
    if (value === undefined) continue;
    target[field] = typeof value === 'object' && value !== null ? { ...value } : value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH)
    clean.cause = sanitizeCause(error.cause, depth + 1);
  return clean;
}

interface ErrorFacts {
  name: string | undefined;
  code: string | undefined;
  status: number | undefined;
  requestId: string | undefined;
  attempts: number | undefined;
  serverMessage: string | undefined;
}

function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readFacts(error: unknown): ErrorFacts {
  if (typeof error !== 'object' || error === null) {
    return {
      name: undefined,
      code: undefined,
      status: undefined,
      requestId: undefined,
      attempts: undefined,
      serverMessage: undefined,
    };
  }
  const record = error as Record<string, unknown>;
  const metadata = (
    typeof record.$metadata === 'object' && record.$metadata !== null ? record.$metadata : {}
  ) as Record<string, unknown>;
  const status = metadata.httpStatusCode;
  const attempts = metadata.attempts;
  return {
    name: readString(record.name),
    code: readString(record.code),
    status: typeof status === 'number' ? status : undefined,
    requestId: readString(metadata.requestId),
    attempts: typeof attempts === 'number' ? attempts : undefined,
    serverMessage: readString(record.message),
  };
}

function describeStatus(facts: ErrorFacts): string {
  const parts = [facts.status === undefined ? undefined : String(facts.status), facts.name ?? facts.code];
  return parts.filter((part) => part !== undefined).join(' ');
}

function attemptsSuffix(facts: ErrorFacts): string {
  return facts.attempts !== undefined && facts.attempts > 1 ? ` after ${facts.attempts} attempts` : '';
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

function network(facts: ErrorFacts, connection: string): Classified {
  const { code } = facts;
  const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return {
    code: 'S3_NETWORK',
    retryable: code !== 'ENOTFOUND',
    what: `failed on the network (${code ?? 'connection aborted'})${attemptsSuffix(facts)}`,
    next: refused
      ? `Check the endpoint of ${connection}: its host name, port and that the service is running.`
      : `The connection to the endpoint of ${connection} was cut.`,
    hint: refused
      ? 'Check that the endpoint URL is right and that the server is reachable from this machine.'
      : 'Something between ferry and the endpoint (a proxy, firewall, NAT gateway or load balancer) or the server itself is closing connections; check it. Longer timeouts do not help here.',
  };
}

interface Classified {
  code: string;
  retryable: boolean;
  what: string;
  next: string;
  hint?: string;
}

function classify(facts: ErrorFacts, target: S3ErrorTarget): Classified {
  const { name, code, status } = facts;
  const connection = `connection "${target.connection}"`;
  const action = IAM_ACTIONS[target.operation] ?? `s3:${target.operation}`;
  const resource =
    action === 's3:ListBucket'
      ? `arn:aws:s3:::${target.bucket}${target.key === undefined || target.key === '' ? '' : ` (prefix "${target.key}")`}`
      : `arn:aws:s3:::${target.bucket}/${target.key ?? '*'}`;
  const statusText = describeStatus(facts);

  if (name === 'AbortError') {
    return {
      code: 'S3_ABORTED',
      retryable: false,
      what: 'was cancelled',
      next: 'The run was asked to stop.',
    };
  }
  if (name !== undefined && INVALID_CREDENTIAL_NAMES.has(name)) {
    return {
      code: 'S3_INVALID_CREDENTIALS',
      retryable: false,
      what: `was rejected: the credentials are not valid for this endpoint (${statusText})`,
      next: `Check that the access key of ${connection} exists, is active and belongs to this endpoint or account (and that a session token has not expired).`,
    };
  }
  if (name !== undefined && SIGNATURE_NAMES.has(name)) {
    return {
      code: 'S3_SIGNATURE_MISMATCH',
      retryable: false,
      what: `was rejected: the request signature does not match (${statusText})`,
      next: `Check that the secret access key of ${connection} belongs to its access key id, that its region is right, and that this machine's clock is correct.`,
    };
  }
  if (name === 'NoSuchBucket' || (status === 404 && name === 'NotFound' && target.key === undefined)) {
    return {
      code: 'S3_NO_SUCH_BUCKET',
      retryable: false,
      what: `failed: bucket "${target.bucket}" does not exist (${statusText})`,
      next: `Check the bucket name and the region and endpoint of ${connection}.`,
    };
  }
  if (name === 'NoSuchKey' || (status === 404 && (name === 'NotFound' || name === undefined))) {
    return {
      code: 'S3_NO_SUCH_KEY',
      retryable: false,
      what: `failed: the object does not exist (${statusText})`,
      next: 'It may have been deleted or renamed since it was listed; plan again.',
    };
  }
  if (name === 'AccessDenied' || status === 403) {
    return {
      code: 'S3_ACCESS_DENIED',
      retryable: false,
      what: `was denied (${statusText})`,
      next: `Check that the credentials of ${connection} allow ${action} on ${resource} (IAM policy, bucket policy, KMS key policy).`,
    };
  }
  const throttled =
    status === 429 ||
    (name !== undefined && THROTTLING_NAMES.has(name)) ||
    (status === 503 && (name === undefined || name === 'ServiceUnavailable' || name === '503'));
  if (throttled) {
    return {
      code: 'S3_THROTTLED',
      retryable: true,
      what: `was throttled by the server (${statusText})${attemptsSuffix(facts)}`,
      next: 'Retry later or lower the concurrency.',
    };
  }
  if (status === 501 || name === 'NotImplemented') {
    return {
      code: 'S3_NOT_IMPLEMENTED',
      retryable: false,
      what: `is not supported by the server (${statusText})`,
      next: 'S3-compatible servers often refuse the SDK’s checksum headers or aws-chunked bodies.',
      hint: `Set \`checksum: when_required\` on ${connection}.`,
    };
  }
  // Before timeouts: the SDK names a reset socket (ECONNRESET, EPIPE) "TimeoutError" so that it retries.
  if ((code !== undefined && NETWORK_CODES.has(code)) || facts.serverMessage === 'aborted') {
    return network(facts, connection);
  }
  if ((name !== undefined && TIMEOUT_NAMES.has(name)) || code === 'ETIMEDOUT') {
    return {
      code: 'S3_TIMEOUT',
      retryable: true,
      what: `timed out${attemptsSuffix(facts)} (no answer, or a stalled transfer)`,
      next: `Check the network path to the endpoint of ${connection}, or raise its timeouts.`,
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      code: 'S3_SERVER_ERROR',
      retryable: true,
      what: `failed with a server error (${statusText})${attemptsSuffix(facts)}`,
      next: 'Retry later; if it persists, check the health of the endpoint.',
    };
  }
  const detail = facts.serverMessage === undefined ? '' : `: ${truncate(facts.serverMessage, 200)}`;
  return {
    code: 'S3_UNEXPECTED',
    retryable: false,
    what: `failed unexpectedly (${statusText || 'no status'}${detail})`,
    next: 'See the cause for details.',
  };
}

/** `s3://bucket/key` (or `s3://bucket/` for bucket-level calls), for messages. */
export function formatS3Uri(bucket: string, key?: string): string {
  return `s3://${bucket}/${key ?? ''}`;
}

/** Error names and codes come from the server's answer too: they are redacted like the message. */
function redactContext(context: FerryErrorContext): FerryErrorContext {
  return Object.fromEntries(
    Object.entries(context).map(([key, value]) => [
      key,
      typeof value === 'string' ? redactSecrets(value) : value,
    ]),
  );
}

/**
 * Converts any error thrown by an S3 call into a FerryError. A FerryError is returned unchanged.
 * The cause is a sanitized copy of the original error (see sanitizeCause).
 */
export function wrapS3Error(error: unknown, given: S3ErrorTarget): FerryError {
  if (error instanceof FerryError) return error;
  const target: S3ErrorTarget = { ...given, operation: failedCommandOf(error) ?? given.operation };
  const facts = readFacts(error);
  const classified = classify(facts, target);
  const context: FerryErrorContext = {
    operation: target.operation,
    connection: target.connection,
    bucket: target.bucket,
  };
  if (target.key !== undefined) context.key = target.key;
  if (facts.name !== undefined) context.awsErrorName = facts.name;
  if (facts.status !== undefined) context.httpStatus = facts.status;
  if (facts.requestId !== undefined) context.requestId = facts.requestId;
  if (facts.attempts !== undefined) context.attempts = facts.attempts;
  if (facts.code !== undefined) context.errorCode = facts.code;
  const message = `${target.operation} ${formatS3Uri(target.bucket, target.key)} ${classified.what}. ${classified.next}`;
  return new FerryError(classified.code, redactSecrets(message), {
    context: redactContext(context),
    cause: sanitizeCause(error),
    retryable: classified.retryable,
    ...(classified.hint === undefined ? {} : { hint: classified.hint }),
  });
}
