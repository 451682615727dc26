/**
 * Scenario: S3 transfers through ferry's S3 layer against the AWS CLI and rclone, all three on the same
 * s3rver, interleaved: one large object up and down (uploadFile: one PUT proved by its ETag up to
 * 64 MiB, above that multipart with parts in parallel and a HEAD; SHA-256 in metadata either way;
 * downloadObject: from 64 MiB parallel byte ranges, length, ETag and SHA-256 checked), and many small
 * objects up and down through ferry's bounded pool. The target is the best of the two tools.
 * s3rver runs in its own process (test/harness/s3-server.ts starts it as a child), so ferry's client,
 * in this process, shares no event loop with the server, as the tools' processes do not.
 */
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../engine/io/s3/create-s3-client.js';
import { downloadObject } from '../../../engine/io/s3/download-object.js';
import { uploadFile } from '../../../engine/io/s3/upload-file.js';
import { mapWithConcurrency } from '../../../engine/io/map-with-concurrency.js';
import { startS3Server } from '../../../test/harness/s3-server.js';
import { createTestConnection } from '../../../test/harness/test-connection.js';
import type { BenchRow } from '../bench-row.js';
import { median, roundRatio, runChecked, timeSeconds } from './measure.js';
import { settleDisk } from '../settle-disk.js';
import { findTransferTools, type TransferTool } from './transfer-tools.js';

export interface S3TransferOptions {
  /** Size of the large object (default 1 GiB). */
  largeBytes?: number;
  /** Number of small objects (default 1,000). */
  smallObjects?: number;
  repeat: number;
  workDir: string;
}

const BUCKET = 'transfer';
const SMALL_BYTES = 1024;
/** Objects in flight for ferry's small-object pool (the fetch step's). */
const POOL = 16;

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let written = 0; written < bytes; written += chunk.length) {
    randomFillSync(chunk);
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
    if (!out.write(part)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Side {
  name: string;
  /** Untimed, before each timed run (e.g. remove what the previous round wrote). */
  prepare?: (round: number) => Promise<unknown>;
  run: (round: number) => Promise<unknown>;
}

/** Runs the sides interleaved (side 1, side 2, …, side 1, …); returns each side's median seconds. */
async function measure(repeat: number, sides: readonly Side[]): Promise<Map<string, number>> {
  const timings: number[][] = sides.map(() => []);
  for (let round = 0; round < repeat; round++) {
    for (const [index, side] of sides.entries()) {
      await side.prepare?.(round);
      settleDisk();
      timings[index]?.push(await timeSeconds(() => side.run(round)));
    }
  }
  return new Map(sides.map((s, i) => [s.name, median(timings[i] ?? [])]));
}

function row(
  work: string,
  before: string,
  unit: string,
  amount: number,
  seconds: Map<string, number>,
  issueTarget: string,
  ferryAdds: string,
): BenchRow {
  const rate = (s: number) => amount / s;
  const fmt = (s: number) => `${rate(s).toFixed(0)} ${unit}`;
  const ferry = seconds.get('ferry') ?? Number.NaN;
  const tools = [...seconds].filter(([name]) => name !== 'ferry');
  const best = tools.reduce<[string, number] | undefined>(
    (a, b) => (a === undefined || b[1] < a[1] ? b : a),
    undefined,
  );
  return {
    work,
    before,
    now: fmt(ferry),
    reference: tools.map(([name, s]) => `${name} ${fmt(s)}`).join(', ') || 'no tool available',
    ...(best ? { ratio: roundRatio(rate(ferry) / rate(best[1])) } : {}),
    target: `≥ best tool (${issueTarget} when measured idle)`,
    met: best !== undefined && rate(ferry) >= rate(best[1]),
    note: `ratio: ferry rate / best tool rate, medians, same run, interleaved; what ferry's S3 layer adds: ${ferryAdds}`,
  };
}

export async function benchS3Transfer(options: S3TransferOptions): Promise<BenchRow[]> {
  const largeBytes = options.largeBytes ?? 1024 ** 3;
  const smallCount = options.smallObjects ?? 1000;
  const root = await mkdtemp(join(options.workDir, 's3-transfer-'));
  const server = await startS3Server();
  const client = createS3Client(createTestConnection({ endpoint: server.endpoint }));
  try {
    await server.createBucket(BUCKET);
    const tools = await findTransferTools(server.endpoint);
    const largeFile = join(root, 'large.bin');
    await writeRandomFile(largeFile, largeBytes);
    const smallDir = join(root, 'small');
    await mkdir(smallDir);
    const smallNames = Array.from({ length: smallCount }, (_, i) => `s_${String(i).padStart(5, '0')}.bin`);
    for (const name of smallNames) {
      const body = Buffer.alloc(SMALL_BYTES);
      randomFillSync(body);
      await writeFile(join(smallDir, name), body);
    }
    const target = { connection: 'bench', bucket: BUCKET };
    const ferryPutLarge = (key: string) => uploadFile(client, { ...target, key, filePath: largeFile });
    const ferryPutSmall = (prefix: string) =>
      mapWithConcurrency(smallNames, { limit: POOL }, (name) =>
        uploadFile(client, { ...target, key: `${prefix}${name}`, filePath: join(smallDir, name) }),
      );
    // Objects the GET sides read: written once, untimed.
    await ferryPutLarge('large/source.bin');
    await ferryPutSmall('small/source/');
    const scratch = join(root, 'scratch');
    const fresh = async (name: string) => {
      const dir = join(scratch, name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      return dir;
    };
    const tool = (t: TransferTool, args: [string, string[]]) => runChecked(args[0], args[1], { env: t.env });

    // Every round writes to a key that does not exist: rclone skips a file whose size and mtime match
    // the destination's, so a second round to the same key timed a listing, not an upload.
    const removeLarge = (name: string) => () =>
      client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `large/${name}.bin` }));
    const putLarge = await measure(options.repeat, [
      { name: 'ferry', prepare: removeLarge('ferry'), run: () => ferryPutLarge('large/ferry.bin') },
      ...tools.map((t) => ({
        name: t.name,
        prepare: removeLarge(t.name),
        run: () => tool(t, t.put(largeFile, BUCKET, `large/${t.name}.bin`, false)),
      })),
    ]);
    const getLarge = await measure(options.repeat, [
      {
        name: 'ferry',
        run: async () =>
          downloadObject(client, {
            ...target,
            key: 'large/source.bin',
            destPath: join(await fresh('ferry'), 'large.bin'),
            expectedSize: largeBytes,
          }),
      },
      ...tools.map((t) => ({
        name: t.name,
        run: async () =>
          tool(t, t.get(BUCKET, 'large/source.bin', join(await fresh(t.name), 'large.bin'), false)),
      })),
    ]);
    await rm(scratch, { recursive: true, force: true });
    // A fresh prefix per round, for the same reason as above.
    const putSmall = await measure(options.repeat, [
      { name: 'ferry', run: (round) => ferryPutSmall(`small/ferry/${round}/`) },
      ...tools.map((t) => ({
        name: t.name,
        run: (round: number) => tool(t, t.put(smallDir, BUCKET, `small/${t.name}/${round}/`, true)),
      })),
    ]);
    const getSmall = await measure(options.repeat, [
      {
        name: 'ferry',
        run: async () => {
          const dir = await fresh('ferry');
          await mapWithConcurrency(smallNames, { limit: POOL }, (name) =>
            downloadObject(client, {
              ...target,
              key: `small/source/${name}`,
              destPath: join(dir, name),
              expectedSize: SMALL_BYTES,
            }),
          );
        },
      },
      ...tools.map((t) => ({
        name: t.name,
        run: async () => tool(t, t.get(BUCKET, 'small/source/', await fresh(t.name), true)),
      })),
    ]);
    const mb = largeBytes / 1e6;
    const size = largeBytes >= 1024 ** 3 ? `${largeBytes / 1024 ** 3} GiB` : `${largeBytes / 1024 ** 2} MiB`;
    return [
      row(
        `S3 put, 1 object of ${size}`,
        '(not measured)',
        'MB/s',
        mb,
        putLarge,
        '81 MB/s',
        "the file's SHA-256 before CreateMultipartUpload (object metadata), an MD5 per part (Content-MD5), a HEAD after to check size and SHA-256",
      ),
      row(
        `S3 get, 1 object of ${size}`,
        '(not measured)',
        'MB/s',
        mb,
        getLarge,
        '235 MB/s',
        "each range's Content-Range and ETag checked, the file's SHA-256",
      ),
      row(
        `S3 put, ${smallCount} objects of 1 KiB`,
        '(not measured)',
        'PUT/s',
        smallCount,
        putSmall,
        '400 PUT/s',
        "the file's MD5 (Content-MD5, and the answer's ETag checked against it) and SHA-256 (metadata) for each object",
      ),
      row(
        `S3 get, ${smallCount} objects of 1 KiB`,
        '(not measured)',
        'GET/s',
        smallCount,
        getSmall,
        '340 GET/s',
        "each body's length and SHA-256 checked; most of the client's CPU is the AWS SDK's own per-request work",
      ),
    ];
  } finally {
    client.destroy();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}
