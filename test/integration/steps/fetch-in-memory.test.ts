/**
 * The fetch step leaves small JSON and CSV files in memory (FetchedFile.inMemoryOnly): the batch
 * loads check their bytes and write one file for many, so a thousand of them cost no file creations.
 * Plain and gzip files stay there (their decompression check reads their bytes); whatever needs a file
 * on disk still gets one: a zstd file (Node cannot always decompress it), every other format, and a
 * load that reads a file by its path (writeFetchedFile). A file named like a PGP message is still
 * recognised from its bytes without source.decrypt. Against a real S3 server.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../../engine/errors/ferry-error.js';
import type { FetchStep } from '../../../engine/plan/plan-model.js';
import { executeFetchStep, writeFetchedFile } from '../../../engine/steps/fetch-step.js';
import type { StepContext } from '../../../engine/steps/step-context.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
let bucket: string;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startS3Server();
  bucket = uniqueBucket('fetch-mem');
  await server.createBucket(bucket);
});
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await server?.stop();
});

const NDJSON = { kind: 'json', layout: 'ndjson', emptyFile: 'fail', maxRejects: { kind: 'count', value: 0 } };
const CSV = { kind: 'csv', delimiter: ',', quote: '"', escape: '"', header: true, encoding: 'utf-8' };
const PARQUET = { kind: 'parquet' };

/** `id\n2\n`, compressed by the zstd command-line tool. */
const ZSTD_FRAME = Buffer.from('28b52ffd04582900006964' + '0a320a411e8d89', 'hex');
const LIMITS = { tempDiskBytes: 1 << 30, maxDecompressedBytes: 1 << 30, maxCompressionRatio: 1000 };

/** Puts `objects` and fetches them with a `format` source into a new temp dir. */
async function fetch(format: object, objects: Record<string, string | Buffer>, limits = LIMITS) {
  for (const [key, body] of Object.entries(objects)) {
    await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  const tempDir = await mkdtemp(join(tmpdir(), 'ferry-fetch-mem-'));
  dirs.push(tempDir);
  const keys = Object.keys(objects);
  const context = {
    mode: 'apply',
    pipeline: {
      name: 'p',
      source: { kind: 's3', connection: 'c', bucket, prefix: '', compression: 'auto', format },
    },
    project: { limits },
    tempDir,
    session: { nameFile: () => undefined },
    s3: () => ({ client: server.client, settings: { bodyIdleTimeoutMs: 30_000 } }),
    selected: keys.map((key) => ({ key })),
    fetched: [],
  } as unknown as StepContext;
  const step: FetchStep = {
    kind: 'fetch',
    connection: 'c',
    bucket,
    objects: keys.map((key, i) => ({
      key,
      size: Buffer.byteLength(objects[key] ?? ''),
      etag: '',
      localName: `in-${i}`,
    })),
  };
  await executeFetchStep(context, step);
  return { context, tempDir, onDisk: async () => (await readdir(tempDir)).sort() };
}

describe('fetch step: small JSON and CSV files in memory', () => {
  it('leaves plain NDJSON files unwritten, with their bytes; writeFetchedFile puts one on disk', async () => {
    const bodies = { 'm/a.ndjson': '{"id":1}\n', 'm/b.ndjson': '{"id":2}\n{"id":3}\n' };
    const { context, tempDir, onDisk } = await fetch(NDJSON, bodies);
    expect(await onDisk()).toEqual([]);
    expect(context.fetched.map((f) => [f.candidate.key, f.inMemoryOnly, f.bytes?.toString('utf8')])).toEqual([
      ['m/a.ndjson', true, bodies['m/a.ndjson']],
      ['m/b.ndjson', true, bodies['m/b.ndjson']],
    ]);
    expect(context.fetched.map((f) => f.compression)).toEqual(['none', 'none']);

    const [first] = context.fetched;
    if (first === undefined) throw new Error('nothing fetched');
    await writeFetchedFile(context, first);
    expect(first.inMemoryOnly).toBeUndefined();
    expect(await onDisk()).toEqual(['in-0']);
    expect(await readFile(join(tempDir, 'in-0'), 'utf8')).toBe(bodies['m/a.ndjson']);
  });

  it.each([
    ['NDJSON', NDJSON, 'ndjson', '{"id":1}\n', '{"id":2}\n'],
    ['CSV', CSV, 'csv', 'id\n1\n', 'id\n2\n'],
    ['JSON array', { ...NDJSON, layout: 'array' }, 'json', '[{"id":1}]', '[{"id":2}]'],
  ])(
    'leaves plain and gzip %s files unwritten and writes a zstd one at once',
    async (_, format, ext, a, b) => {
      const objects = { [`z/a.${ext}`]: a, [`z/b.${ext}.gz`]: gzipSync(b), [`z/c.${ext}.zst`]: ZSTD_FRAME };
      const { context, onDisk } = await fetch(format, objects);
      expect(await onDisk()).toEqual(['in-2']);
      expect(context.fetched.map((f) => [f.inMemoryOnly, f.compression])).toEqual([
        [true, 'none'],
        [true, 'gzip'],
        [undefined, 'zstd'],
      ]);
      expect(context.fetched[1]?.bytes).toEqual(objects[`z/b.${ext}.gz`]);
    },
  );

  it('holds a gzip file in memory to the decompression limits, from its bytes', async () => {
    const bomb = gzipSync(Buffer.alloc(4096, 0x61));
    const limits = { ...LIMITS, maxDecompressedBytes: 1024 };
    const error = await fetch(CSV, { 'b/bomb.csv.gz': bomb }, limits).catch((caught: unknown) => caught);
    expect(isFerryError(error) ? error.code : error).toBe('SOURCE_DECOMPRESSED_TOO_LARGE');
  });

  it('writes every file of another format as it comes', async () => {
    const { context, onDisk } = await fetch(PARQUET, { 'q/a.parquet': 'PAR1', 'q/b.parquet': 'PAR1' });
    expect(await onDisk()).toEqual(['in-0', 'in-1']);
    expect(context.fetched.every((f) => f.inMemoryOnly === undefined)).toBe(true);
  });

  it('still stops a PGP message without source.decrypt, from its bytes, writing nothing', async () => {
    const armoured = '-----BEGIN PGP MESSAGE-----\n\nhQEMA0xyz\n-----END PGP MESSAGE-----\n';
    const error = await fetch(NDJSON, { 'p/a.ndjson.pgp': armoured }).catch((caught: unknown) => caught);
    expect(isFerryError(error) ? error.code : error).toBe('PGP_NOT_CONFIGURED');
  });
});
