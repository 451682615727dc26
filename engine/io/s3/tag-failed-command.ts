/**
 * lib-storage's Upload runs several S3 commands (CreateMultipartUpload, UploadPart, Complete...) and
 * rethrows the SDK error without saying which one failed. This middleware records the command name on
 * the error, so a wrapped failure can name the exact operation (and the IAM action it needed).
 */

import type { S3Client } from '@aws-sdk/client-s3';

const FAILED_COMMAND = Symbol.for('ferry.s3.failedCommand');

/** Records the failing command's S3 operation name (e.g. `UploadPart`) on errors thrown by `client`. */
export function tagFailedCommand(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (typeof error === 'object' && error !== null && context.commandName !== undefined) {
          Object.defineProperty(error, FAILED_COMMAND, {
            value: context.commandName.replace(/Command$/, ''),
            enumerable: false,
            configurable: true,
          });
        }
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name: 'ferryTagFailedCommand' },
  );
}

/** The S3 operation recorded by `tagFailedCommand`, if any. */
export function failedCommandOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<symbol, unknown>)[FAILED_COMMAND];
  return typeof value === 'string' ? value : undefined;
}
