/**
 * The small-object path of the one-GET download: a body whose Content-Length is at most
 * SMALL_BODY_BYTES is read into memory, checked and hashed there, and written to its destination in
 * one writeFile. A thousand 80-byte objects otherwise cost a write stream, a rename and a re-read of
 * the head each (ten file-system calls a file where this makes three), and that, not the GETs, was
 * most of a many-small-files fetch. The checks are the streaming path's: a body silent for
 * bodyIdleTimeoutMs is destroyed (stalled), a short body is truncated, both retried by the caller.
 */

import { createHash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { watchBodyIdle, type TransientFailure } from './download-failures.js';

/** Bodies of at most this many bytes (by Content-Length) are read into memory. */
export const SMALL_BODY_BYTES = 1024 * 1024;

export type SmallBodyResult =
  { kind: 'ok'; bytes: Buffer; sha256: string } | { kind: 'retry'; failure: TransientFailure };

/**
 * Reads `body` whole. Resolves `retry` when the body errors, stalls or ends short of `bytesExpected`;
 * rejects only when `signal` aborted it (the caller turns that into the abort it is).
 */
export async function readSmallBody(
  body: Readable,
  bytesExpected: number,
  bodyIdleTimeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<SmallBodyResult> {
  const chunks: Buffer[] = [];
  let bytesReceived = 0;
  const idle = watchBodyIdle(body, bodyIdleTimeoutMs);
  if (signal !== undefined) addAbortSignal(signal, body);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytesReceived += chunk.length;
      idle.touch();
    }
  } catch (error) {
    if (signal?.aborted === true) throw error;
    const kind = idle.cutKind(error);
    return { kind: 'retry', failure: { kind, bytesReceived, bytesExpected, cause: error } };
  } finally {
    idle.stop();
  }
  if (bytesReceived !== bytesExpected) {
    return { kind: 'retry', failure: { kind: 'truncated', bytesReceived, bytesExpected, cause: undefined } };
  }
  const bytes = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
  return { kind: 'ok', bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
