/**
 * Runtime failures: one error class with a stable code, a context (pipeline, step, bucket/key),
 * the original cause, and whether a retry can help. Third-party errors are wrapped at the boundary.
 * Messages never contain credentials.
 */

export interface FerryErrorContext {
  pipeline?: string;
  step?: string;
  operation?: string;
  connection?: string;
  bucket?: string;
  key?: string;
  file?: string;
  /**
   * Where in the pipeline's configuration the problem is: a JSON pointer relative to the pipeline
   * (e.g. `/mapping/rename/Acount ID`); `configKey` when it is the key there, not its value.
   * Resolved to file:line:col when the failure is reported.
   */
  config?: string;
  configKey?: boolean;
  /** AWS error name, HTTP status and request id, when the failure came from S3. */
  awsErrorName?: string;
  httpStatus?: number;
  requestId?: string;
  [extra: string]: string | number | boolean | undefined;
}

export interface FerryErrorOptions {
  context?: FerryErrorContext;
  cause?: unknown;
  retryable?: boolean;
  hint?: string;
}

export class FerryError extends Error {
  override readonly name = 'FerryError';
  readonly code: string;
  readonly context: FerryErrorContext;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  /** A plain object for JSON logs and reports (no stack, no cause internals). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      context: this.context,
      retryable: this.retryable,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

export function isFerryError(error: unknown): error is FerryError {
  return error instanceof FerryError;
}
