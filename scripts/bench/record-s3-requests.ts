/**
 * Times every S3 request ferry sends, without touching engine code: while recording is on,
 * `S3Client.prototype.send` (which the engine's clients and lib-storage both go through) notes the
 * command name and when it started and settled. A GetObject settles when the headers arrive; its body
 * streams afterwards.
 */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3RequestRecord {
  command: string;
  start: number;
  end: number;
}

export interface S3RequestRecorder {
  start(): void;
  stop(): S3RequestRecord[];
  /** Restores the original method. */
  dispose(): void;
}

export function installS3RequestRecorder(): S3RequestRecorder {
  const proto = S3Client.prototype;
  // Always called with the right `this` below (`.apply`).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalSend = proto.send;
  const ownSend = Object.prototype.hasOwnProperty.call(proto, 'send');
  let records: S3RequestRecord[] = [];
  let active = false;

  const send = originalSend as (this: S3Client, ...args: unknown[]) => unknown;
  const patched = function (this: S3Client, ...args: unknown[]): unknown {
    const start = performance.now();
    const result = send.apply(this, args);
    if (!active || !(result instanceof Promise)) return result;
    const command = (args[0] as { constructor?: { name?: string } } | undefined)?.constructor?.name;
    const record = { command: command ?? 'unknown', start, end: Number.NaN };
    records.push(record);
    const settle = (): void => {
      record.end = performance.now();
    };
    result.then(settle, settle);
    return result;
  };
  proto.send = patched as S3Client['send'];

  return {
    start() {
      records = [];
      active = true;
    },
    stop() {
      active = false;
      return records;
    },
    dispose() {
      active = false;
      if (ownSend) proto.send = originalSend;
      else delete (proto as { send?: unknown }).send;
    },
  };
}
