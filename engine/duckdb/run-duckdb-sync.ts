/**
 * DuckDB queries for code that must stay synchronous (loading a project is: `validate`, `plan` and
 * the tests all call it that way). DuckDB's node API is asynchronous, so the queries run in a worker
 * thread that opens its own small in-memory database, and the caller blocks on an Atomics.wait until
 * the answer is posted. DuckDB is loaded only when this is called, so `ferry --help` and validating a
 * project without types never pay for it.
 *
 * The database is closed to the outside (no file or network access, no extensions); the queries only
 * parse and bind SQL built by ferry.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** One query's answer: its rows as JSON-safe objects, or DuckDB's error message. */
export type SyncQueryResult = { rows: Array<Record<string, unknown>> } | { error: string };

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { port, flag, modulePath } = workerData;
const answer = (message) => { port.postMessage(message); Atomics.add(flag, 0, 1); Atomics.notify(flag, 0); };
const ready = import(pathToFileURL(modulePath).href).then(async ({ DuckDBInstance }) => {
  const instance = await DuckDBInstance.create(':memory:', {
    enable_external_access: 'false', autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false', threads: '1', memory_limit: '128MB',
  });
  return instance.connect();
});
port.on('message', async (queries) => {
  let connection;
  try { connection = await ready; } catch (error) { answer({ fatal: String(error && error.message || error) }); return; }
  const results = [];
  for (const sql of queries) {
    try { results.push({ rows: (await connection.runAndReadAll(sql)).getRowObjectsJson() }); }
    catch (error) { results.push({ error: String(error && error.message || error) }); }
  }
  answer({ results });
});
`;

export interface SyncDuckDb {
  /** Runs each query (one statement each) and returns their results in order. */
  query(queries: readonly string[]): SyncQueryResult[];
  close(): void;
}

/** Opens the worker; throws if DuckDB cannot be loaded or does not answer within `timeoutMs`. */
export function openSyncDuckDb(options: { timeoutMs?: number } = {}): SyncDuckDb {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const modulePath = createRequire(import.meta.url).resolve('@duckdb/node-api');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, flag, modulePath },
    transferList: [port2],
  });
  worker.unref();
  return {
    query(queries) {
      const seen = Atomics.load(flag, 0);
      port1.postMessage(queries);
      if (Atomics.wait(flag, 0, seen, timeoutMs) === 'timed-out') {
        throw new Error(`DuckDB did not answer within ${timeoutMs} ms`);
      }
      const message = receiveMessageOnPort(port1)?.message as
        { results: SyncQueryResult[] } | { fatal: string } | undefined;
      if (message === undefined) throw new Error('DuckDB worker sent no answer');
      if ('fatal' in message) throw new Error(`DuckDB could not be opened: ${message.fatal}`);
      return message.results;
    },
    close() {
      port1.close();
      void worker.terminate();
    },
  };
}
