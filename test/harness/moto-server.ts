/**
 * A second, stricter S3 server for the tests that need what s3rver lacks: moto (Python, part of this
 * machine image) answers `If-None-Match: *` and a wrong `If-Match` with 412, lists and aborts
 * multipart uploads, and paginates without tricks. It runs in a child process on 127.0.0.1:0, prints
 * its port, and exits when its stdin closes, so it cannot outlive a crashed test worker.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../engine/io/s3/create-s3-client.js';
import { createTestConnection } from './test-connection.js';

export interface MotoServer {
  endpoint: string;
  client: S3Client;
  createBucket: (name: string) => Promise<void>;
  stop: () => Promise<void>;
}

const CHILD = `
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
server.start()
print(server._server.server_port, flush=True)
sys.stdin.read()
server.stop()
`;

export async function startMotoServer(): Promise<MotoServer> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-c', CHILD], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`moto did not start within 30 s: ${stderr}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(Number(line.trim()));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with ${code}: ${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client(createTestConnection({ endpoint }));
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
