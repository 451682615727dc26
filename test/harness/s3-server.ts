/**
 * A real S3 wire-protocol server for integration tests: s3rver in a child process. It must be a child
 * because s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 20 / OpenSSL 3 refuses
 * unless the process runs with --openssl-legacy-provider (otherwise every page after the first is a 500).
 * The child listens on 127.0.0.1:0, prints its port as JSON, and exits when its stdin closes, so it
 * cannot outlive a crashed test worker.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../engine/io/s3/create-s3-client.js';
import { createTestConnection } from './test-connection.js';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** s3rver's data directory (objects are stored as files under it). */
  directory: string;
  /** A client for this server (static keys S3RVER/S3RVER, checksum when_required, path style). */
  client: S3Client;
  createBucket: (name: string) => Promise<void>;
  /** Kills the child and removes its directory. */
  stop: () => Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

// CommonJS, run with `node -e`: argv[1] is s3rver's entry point, argv[2] the data directory.
const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { process.stderr.write(String((error && error.stack) || error) + '\\n'); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

function waitForPort(child: ChildProcessWithoutNullStreams, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`s3rver did not start within ${STARTUP_TIMEOUT_MS} ms. stderr: ${stderr()}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      cleanup();
      try {
        const { port } = JSON.parse(stdout.slice(0, newline)) as { port: unknown };
        if (typeof port !== 'number') throw new Error(`no port in ${stdout}`);
        resolve(port);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`s3rver exited with ${code} before it was ready. stderr: ${stderr()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts s3rver in a child process on a free port with its own temp directory. */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'ferry-s3rver-'));
  const s3rverEntry = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, s3rverEntry, directory],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  let port: number;
  try {
    port = await waitForPort(child, () => stderr);
  } catch (error) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client(createTestConnection({ endpoint }));
  let stopped = false;
  return {
    endpoint,
    port,
    directory,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await stopChild(child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
