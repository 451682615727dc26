/**
 * Hashes a local file on a worker thread, so the SHA-256 of a large transfer runs on another core
 * while the main thread moves bytes (hashing 1 GiB costs about a second of CPU, as much as the
 * transfer itself): a ranged download hashes its `.part` file behind the ranges written, in order
 * whatever order they arrive in; a multipart upload hashes its file before CreateMultipartUpload.
 * The worker reads the file itself (from the page cache), so no buffer crosses threads. One worker
 * per process, started on first use; it keeps the process alive only while a job is open. The
 * worker is plain CommonJS given as source, so it runs the same under tsx, vitest and dist/.
 */

import { Worker } from 'node:worker_threads';

export interface FileHash {
  /** Hashes bytes [start, end) of the file next: calls must cover the file in order. */
  update: (start: number, end: number) => void;
  /** The hex digest of everything updated; rejects with the read error when a read failed. */
  digest: () => Promise<string>;
  /** Drops the job (the transfer failed); its digest is never asked for. */
  cancel: () => void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { open } = require('node:fs/promises');
const CHUNK_BYTES = 4 * 1024 * 1024;
const jobs = new Map();
async function run(job, message) {
  if (message.op === 'update') {
    job.handle = job.handle || (await open(job.path, 'r'));
    job.buffer = job.buffer || Buffer.allocUnsafe(CHUNK_BYTES);
    for (let position = message.start; position < message.end; ) {
      const wanted = Math.min(CHUNK_BYTES, message.end - position);
      const { bytesRead } = await job.handle.read(job.buffer, 0, wanted, position);
      if (bytesRead === 0) throw new Error('unexpected end of file at byte ' + position);
      job.hash.update(job.buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return;
  }
  jobs.delete(message.id);
  if (job.handle) await job.handle.close();
  if (message.op === 'digest') parentPort.postMessage({ id: message.id, digest: job.hash.digest('hex') });
}
parentPort.on('message', (message) => {
  if (message.op === 'open') {
    jobs.set(message.id, { hash: createHash(message.algorithm), path: message.path, chain: Promise.resolve() });
    return;
  }
  const job = jobs.get(message.id);
  if (job === undefined) return;
  job.chain = job.chain.then(() => (job.failed ? undefined : run(job, message))).catch(async (error) => {
    job.failed = true;
    jobs.delete(message.id);
    if (job.handle) await job.handle.close().catch(() => undefined);
    parentPort.postMessage({ id: message.id, error: { message: String(error && error.message), code: error && error.code } });
  });
});
`;

interface Reply {
  id: number;
  digest?: string;
  error?: { message: string; code?: string };
}

interface HashWorker {
  worker: Worker;
  pending: Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>;
}

let shared: HashWorker | undefined;
let nextId = 1;

function failAll(state: HashWorker, error: Error): void {
  if (shared === state) shared = undefined;
  for (const job of state.pending.values()) job.reject(error);
  state.pending.clear();
}

function startWorker(): HashWorker {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const state: HashWorker = { worker, pending: new Map() };
  worker.on('message', (reply: Reply) => {
    const job = state.pending.get(reply.id);
    if (job === undefined) return;
    state.pending.delete(reply.id);
    if (state.pending.size === 0) worker.unref();
    if (reply.digest !== undefined) job.resolve(reply.digest);
    else {
      const error = Object.assign(new Error(reply.error?.message ?? 'hashing failed'), {
        code: reply.error?.code,
      });
      job.reject(error);
    }
  });
  worker.on('error', (error) => failAll(state, error));
  worker.on('exit', (code) => failAll(state, new Error(`the hashing worker exited with ${code}`)));
  worker.unref();
  return state;
}

/** Starts hashing `path` with `algorithm` (e.g. `sha256`) on the shared worker thread. */
export function hashFileOnWorker(path: string, algorithm: string): FileHash {
  shared ??= startWorker();
  const state = shared;
  const id = nextId++;
  const result = new Promise<string>((resolve, reject) => state.pending.set(id, { resolve, reject }));
  // A read error arrives before digest() is asked for; the caller sees it there.
  result.catch(() => undefined);
  state.worker.ref();
  state.worker.postMessage({ op: 'open', id, path, algorithm });
  return {
    update: (start, end) => {
      if (end > start) state.worker.postMessage({ op: 'update', id, start, end });
    },
    digest: () => {
      state.worker.postMessage({ op: 'digest', id });
      return result;
    },
    cancel: () => {
      state.worker.postMessage({ op: 'cancel', id });
      state.pending.get(id)?.reject(new Error('cancelled'));
      state.pending.delete(id);
      if (state.pending.size === 0) state.worker.unref();
    },
  };
}
