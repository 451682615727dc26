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
import { isTimeoutError } from './download-failures.js';

/** Bodies of at most this many bytes (by Content-Length) are read into memory. */
export const SMALL_BODY_BYTES = 1024 * 1024;

export type SmallBodyResult =
  | { kind: 'ok'; bytes: Buffer; sha256: string }
  | { kind: 'cut'; stalled: boolean; bytesReceived: number; cause: unknown };

/**
 * Reads `body` whole. Resolves `cut` when the body errors, stalls or ends short of `bytesExpected`;
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
  let stalled = false;
  const idleTimer = setTimeout(() => {
    stalled = true;
    body.destroy(Object.assign(new Error(`body idle for ${bodyIdleTimeoutMs} ms`), { name: 'TimeoutError' }));
  }, bodyIdleTimeoutMs);
  if (signal !== undefined) addAbortSignal(signal, body);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytesReceived += chunk.length;
      idleTimer.refresh();
    }
  } catch (error) {
    if (signal?.aborted === true) throw error;
    return { kind: 'cut', stalled: stalled || isTimeoutError(error), bytesReceived, cause: error };
  } finally {
    clearTimeout(idleTimer);
  }
  if (bytesReceived !== bytesExpected)
    return { kind: 'cut', stalled: false, bytesReceived, cause: undefined };
  const bytes = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks);
  return { kind: 'ok', bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
