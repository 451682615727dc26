/**
 * The demo's embedded S3 server: s3rver in a child process, storing objects as plain files under a
 * data directory that survives the demo (so a newcomer can look at what ferry wrote).
 *
 * The same approach as test/harness/s3-server.ts (not imported: the demo keeps its data directory and
 * may use a fixed port, the test harness deletes its directory and always takes a random port):
 * - a child process, because s3rver encrypts ListObjectsV2 continuation tokens with DES, which
 *   Node 20 / OpenSSL 3 refuses unless the process runs with --openssl-legacy-provider;
 * - the child exits when its stdin closes, so it cannot outlive the demo, even if the demo is killed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** s3rver accepts exactly this key pair. */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface DemoS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Where s3rver stores objects: <directory>/<bucket>/<key>._S3rver_object */
  directory: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Stops the child; keeps the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

// CommonJS, run with `node -e`: argv[1] is s3rver's entry point, argv[2] the data directory, argv[3] the port.
const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: Number(process.argv[3]), silent: true, directory: process.argv[2] });
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
      reject(new Error(`s3rver did not start within ${STARTUP_TIMEOUT_MS} ms. ${stderr()}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      cleanup();
      try {
        const { port } = JSON.parse(stdout.slice(0, newline)) as { port: unknown };
        if (typeof port !== 'number') throw new Error(`s3rver printed no port: ${stdout}`);
        resolve(port);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`s3rver exited with code ${code} before it was ready. ${stderr()}`));
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

/** Starts s3rver on 127.0.0.1 (port 0 = any free port) with its objects under `directory`. */
export async function startDemoS3Server(options: { directory: string; port: number }): Promise<DemoS3Server> {
  const s3rverEntry = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, s3rverEntry, options.directory, String(options.port)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  let port: number;
  try {
    port = await waitForPort(child, () => stderr.trim());
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_KEYS,
    // s3rver stores streamed uploads with aws-chunked framing unless checksums are only sent when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let stopped = false;
  return {
    endpoint,
    port,
    directory: options.directory,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await stopChild(child);
    },
  };
}
