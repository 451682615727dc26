/**
 * The same state-store tests over each backend: a fresh StateStore plus raw access to what it
 * stores, for the tests that damage, remove or read state behind ferry's back.
 *
 *   local  a temp directory (LocalBlobStore)
 *   s3     a prefix in a bucket on moto, which enforces conditional writes as AWS does
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LocalBlobStore } from '../../engine/state/local-blob-store.js';
import { S3BlobStore } from '../../engine/state/s3-blob-store.js';
import { StateStore, type StateStoreOptions } from '../../engine/state/state-store.js';
import { startMotoServer, type MotoServer } from './moto-server.js';
import { getObject, listAll } from './s3-objects.js';
import { uniqueBucket } from './unique-bucket.js';

export type BackendName = 'local' | 's3';

export interface StateFixture {
  store: StateStore;
  /** How messages name a key: `state/pipelines/p/state.json` or `s3://bucket/prefix/pipelines/…`. */
  where: (key: string) => string;
  /** Writes a blob behind ferry's back (no metadata), as a person or another tool would. */
  put: (key: string, body: string | Buffer) => Promise<void>;
  get: (key: string) => Promise<Buffer | undefined>;
  remove: (key: string) => Promise<void>;
  /** Keys under a prefix, sorted (lock mutexes and temp files of the local backend excluded). */
  keys: (prefix?: string) => Promise<string[]>;
}

export interface StateBackend {
  name: BackendName;
  /** A fresh, empty state. */
  create: (options?: StateStoreOptions) => StateFixture;
  stop: () => Promise<void>;
}

function localFixture(options: StateStoreOptions | undefined): StateFixture {
  return localStateFixture(mkdtempSync(join(tmpdir(), 'ferry-state-')), options);
}

/** A state directory (a project's state/, say). */
export function localStateFixture(dir: string, options?: StateStoreOptions): StateFixture {
  const path = (key: string) => join(dir, ...key.split('/'));
  const walk = (d: string): string[] => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  };
  return {
    store: new StateStore(new LocalBlobStore(dir, 'state'), options),
    where: (key) => `state/${key}`,
    put: (key, body) => {
      mkdirSync(dirname(path(key)), { recursive: true });
      writeFileSync(path(key), body);
      return Promise.resolve();
    },
    get: (key) => {
      try {
        return Promise.resolve(readFileSync(path(key)));
      } catch {
        return Promise.resolve(undefined);
      }
    },
    remove: (key) => Promise.resolve(rmSync(path(key), { force: true })),
    keys: (prefix = '') =>
      Promise.resolve(
        walk(dir)
          .map((f) => relative(dir, f).split(sep).join('/'))
          .filter((k) => k.startsWith(prefix) && !k.includes('.tmp-') && !k.includes('.mutex'))
          .sort(),
      ),
  };
}

/** A prefix of its own in one bucket, on any S3 server. */
export function s3Fixture(
  client: S3Client,
  bucket: string,
  prefix: string,
  options?: StateStoreOptions,
): StateFixture {
  return {
    store: new StateStore(new S3BlobStore({ client, connection: 'state', bucket, prefix }), options),
    where: (key) => `s3://${bucket}/${prefix}${key}`,
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body }));
    },
    get: async (key) => {
      try {
        return await getObject(client, bucket, prefix + key);
      } catch {
        return undefined;
      }
    },
    remove: async (key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }));
    },
    keys: async (p = '') =>
      (await listAll(client, bucket))
        .map((o) => o.key)
        .filter((k) => k.startsWith(prefix + p))
        .map((k) => k.slice(prefix.length))
        .sort(),
  };
}

let fixtures = 0;

export async function startStateBackend(name: BackendName): Promise<StateBackend> {
  if (name === 'local') {
    return { name, create: localFixture, stop: () => Promise.resolve() };
  }
  const moto: MotoServer = await startMotoServer();
  const bucket = uniqueBucket('state');
  await moto.createBucket(bucket);
  return {
    name,
    create: (options) => {
      fixtures += 1;
      return s3Fixture(moto.client, bucket, `t${fixtures}/ferry/`, options);
    },
    stop: () => moto.stop(),
  };
}
