/**
 * Puts sample drops into a demo S3 server: the buckets the demo pipelines use (vendor-drops for what
 * vendors drop, ferry-exports for what ferry writes) and the files of each drop. Shared by
 * `npm run demo:server` and the test of `ferry init --demo`, so both serve the same files.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SampleDrop, SampleFile } from './sample-data.js';
import type { DemoS3Server } from './s3-server.js';

export const DEMO_BUCKETS = { source: 'vendor-drops', exports: 'ferry-exports' } as const;

export async function createDemoBuckets(server: Pick<DemoS3Server, 'createBucket'>): Promise<void> {
  for (const bucket of Object.values(DEMO_BUCKETS)) await server.createBucket(bucket);
}

/** Uploads every file of `drop` to the source bucket; `onFile` hears about each one. */
export async function seedDemoDrop(
  server: Pick<DemoS3Server, 'client'>,
  drop: SampleDrop,
  onFile?: (file: SampleFile) => void,
): Promise<void> {
  for (const file of drop.files) {
    await server.client.send(
      new PutObjectCommand({ Bucket: DEMO_BUCKETS.source, Key: file.key, Body: file.body }),
    );
    onFile?.(file);
  }
}
