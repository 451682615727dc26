/**
 * A second, stricter S3 server for the tests that need what s3rver lacks: moto (Python, part of this
 * machine image) answers `If-None-Match: *` and a wrong `If-Match` with 412, lists and aborts
 * multipart uploads, and paginates without tricks. It runs in a child process on 127.0.0.1:0, prints
 * its port, and exits when its stdin closes, so it cannot outlive a crashed test worker.
 *
 * One fix makes it hold what AWS guarantees: moto 5 checks `If-None-Match` / `If-Match` and then
 * writes, in a threaded server, so two conditional PUTs of one key can both pass their check (found
 * as a rare failure of the concurrent-lock test: both processes took the lock; reproduced as 6 of
 * 1,000 racing pairs with a short thread switch interval). The child runs every object PUT, POST
 * (CompleteMultipartUpload) and DELETE under one lock, as S3 applies conditional writes atomically.
 * `slowChecksMs` makes each of moto's object lookups wait before it answers, so that between a check
 * and its write every racing request checks too: a test can show the lock holds where the race would
 * be certain.
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
import os, sys, threading, time
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer

writes = threading.RLock()
def one_at_a_time(handler):
    def locked(self, *args, **kwargs):
        with writes:
            return handler(self, *args, **kwargs)
    return locked
for name in ('_key_response_put', '_key_response_post', '_key_response_delete'):
    setattr(S3Response, name, one_at_a_time(getattr(S3Response, name)))

slow_s = int(os.environ.get('FERRY_TEST_MOTO_SLOW_CHECKS_MS', '0')) / 1000
if slow_s > 0:
    get_object = S3Backend.get_object
    def slow_get_object(self, *args, **kwargs):
        found = get_object(self, *args, **kwargs)
        time.sleep(slow_s)  # between a check and the write that follows it
        return found
    S3Backend.get_object = slow_get_object

server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
server.start()
print(server._server.server_port, flush=True)
sys.stdin.read()
server.stop()
`;

export async function startMotoServer(options: { slowChecksMs?: number } = {}): Promise<MotoServer> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-c', CHILD], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FERRY_TEST_MOTO_SLOW_CHECKS_MS: String(options.slowChecksMs ?? 0) },
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
