/**
 * How discover reads the newest file of a family, against s3rver: a large CSV or gzip CSV from its
 * first bytes only (cut at a whole line), a JSON array whole, a file too large to sample named as
 * such, Latin-1 and UTF-16 told from the bytes, Parquet, an empty file, and files whose CRs DuckDB's
 * sniffer does not read. The sampling limits are made small so the files can be.
 */
import { gzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../engine/config/model.js';
import { createDuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { quoteLiteral } from '../../../engine/duckdb/sql.js';
import { discoverPrefix, type DiscoverResult } from '../../../engine/run/discover/discover-prefix.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

let server: S3TestServer;
let bucket: string;
let result: DiscoverResult;
let temp: string;

const LIMITS = { wholeFileBytes: 20_000, headBytes: 4_096, maxWholeFileBytes: 60_000 };

function connection(endpoint: string): Connection {
  return {
    name: 'test',
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    checksum: 'when_required',
    auth: { kind: 'static', accessKeyId: { ref: '${env:K}' }, secretAccessKey: { ref: '${env:S}' } },
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 30_000,
    bodyIdleTimeoutMs: 15_000,
    maxAttempts: 3,
    origin: { file: 'ferry.yaml', pointer: '/connections/test' },
  };
}

function rows(count: number, delimiter: string): string {
  const lines = ['id' + delimiter + 'name' + delimiter + 'amount'];
  for (let i = 0; i < count; i += 1) lines.push([i, `name ${i}`, (i * 1.5).toFixed(2)].join(delimiter));
  return `${lines.join('\n')}\n`;
}

async function parquetBytes(): Promise<Buffer> {
  const session = await createDuckDbSession({ tempDir: temp, memoryLimit: '128MB', threads: 1 });
  try {
    const file = join(temp, 'x.parquet');
    await session.run(
      `COPY (SELECT 1::BIGINT AS id, 'a' AS label) TO ${quoteLiteral(file)} (FORMAT parquet)`,
    );
    return await readFile(file);
  } finally {
    session.close();
  }
}

beforeAll(async () => {
  server = await startS3Server();
  bucket = uniqueBucket('discover-samples');
  await server.createBucket(bucket);
  temp = await mkdtemp(join(tmpdir(), 'ferry-discover-samples-'));
  const files: Record<string, Buffer> = {
    'big/big_20240501.csv': Buffer.from(rows(2_000, '|')),
    'zipped/zipped_20240501.csv.gz': gzipSync(Buffer.from(rows(5_000, ';')), { level: 0 }),
    'array/array_20240501.json': Buffer.from(
      JSON.stringify(Array.from({ length: 600 }, (_, i) => ({ i, s: `v${i}` }))),
    ),
    'huge/huge_20240501.parquet': Buffer.alloc(70_000, 1),
    'latin/latin_20240501.csv': Buffer.from('id;name\n1;Bäcker\n2;Müller\n', 'latin1'),
    'wide/wide_20240501.csv': Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('id,name\n1,x\n', 'utf16le'),
    ]),
    'pq/pq_20240501.parquet': await parquetBytes(),
    'empty/empty_20240501.csv': Buffer.alloc(0),
    // Lines that DuckDB's sniffer does not read, and runs do: CR CR LF (Python on Windows), a CR alone.
    'python/python_20240501.csv': Buffer.from(rows(20, ';').replace(/\n/g, '\r\r\n')),
    'pasted/pasted_20240501.csv.gz': gzipSync(Buffer.from(rows(20, ',').replace('name 3', 'name\r3'))),
  };
  for (const [key, body] of Object.entries(files)) {
    await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  result = await discoverPrefix({
    connection: connection(server.endpoint),
    env: { K: 'S3RVER', S: 'S3RVER' },
    projectDir: temp,
    bucket,
    prefix: '',
    sampleLimits: LIMITS,
    tempRoot: temp,
  });
});

afterAll(async () => {
  await server.stop();
  await rm(temp, { recursive: true, force: true });
});

const sample = (family: string) => {
  const found = result.samples.get(family);
  if (!found) throw new Error(`no sample for ${family}`);
  return found;
};

describe('discover reads the newest file of each family', () => {
  it('reads a large CSV from its start only, up to a whole line', () => {
    const big = sample('big');
    expect(big).toMatchObject({ partial: true, bytesRead: LIMITS.headBytes, format: 'csv' });
    expect(big.csv).toMatchObject({ delimiter: '|', header: true, encoding: 'utf-8' });
    expect(big.fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'BIGINT'],
      ['name', 'VARCHAR'],
      ['amount', 'DOUBLE'],
    ]);
  });

  it('inflates the start of a large gzip file', () => {
    const zipped = sample('zipped');
    expect(zipped).toMatchObject({ partial: true, format: 'csv' });
    expect(zipped.csv?.delimiter).toBe(';');
    expect(zipped.fields.map((f) => f.name)).toEqual(['id', 'name', 'amount']);
  });

  it('downloads a JSON array whole (its start alone does not parse)', () => {
    expect(sample('array')).toMatchObject({ partial: false, json: { layout: 'array' } });
    expect(sample('array').fields.map((f) => f.name)).toEqual(['i', 's']);
  });

  it('names a file too large to sample, and keeps the format from its name', () => {
    expect(sample('huge').error?.code).toBe('DISCOVER_SAMPLE_TOO_LARGE');
    const huge = result.discovery.families.find((f) => f.name === 'huge');
    expect(huge?.format).toBe('parquet');
  });

  it('tells Latin-1 and UTF-16 from the bytes', () => {
    expect(sample('latin').csv).toMatchObject({ encoding: 'latin-1', delimiter: ';' });
    expect(sample('latin').fields[1]?.values).toEqual(['Bäcker', 'Müller']);
    expect(sample('wide').csv).toMatchObject({ encoding: 'utf-16', bom: true });
  });

  it('reads Parquet, and reports an empty newest file', () => {
    expect(sample('pq').fields.map((f) => [f.name, f.type, f.values])).toEqual([
      ['id', 'BIGINT', ['1']],
      ['label', 'VARCHAR', ['a']],
    ]);
    expect(sample('empty').error?.code).toBe('DISCOVER_EMPTY_FILE');
  });

  it('sniffs a file with CR CR LF line breaks or a CR alone from a copy with LF line breaks', () => {
    expect(sample('python').error).toBeUndefined();
    expect(sample('python').csv).toMatchObject({ delimiter: ';', header: true });
    expect(sample('python').fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'BIGINT'],
      ['name', 'VARCHAR'],
      ['amount', 'DOUBLE'],
    ]);
    expect(sample('pasted')).toMatchObject({ compression: 'gzip', csv: { delimiter: ',', header: true } });
    expect(sample('pasted').fields.map((f) => f.name)).toEqual(['id', 'name', 'amount']);
  });

  it('leaves no temp dir behind', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(temp)).filter((name) => name.startsWith('ferry-discover'))).toEqual([]);
  });
});
