/**
 * fetch: stream every selected object into the run's temp dir (local names are ours, never the
 * key), verifying length; downloads that are cut or stall are retried by the S3 layer. With
 * `source.decrypt` each file is then PGP-decrypted into a new temp file, which is what load reads.
 */
import { join } from 'node:path';
import { downloadObject } from '../io/s3/download-object.js';
import type { FetchStep } from '../plan/plan-model.js';
import { prepareDecryption } from './decrypt-fetched-file.js';
import type { StepContext } from './step-context.js';

export async function executeFetchStep(context: StepContext, step: FetchStep): Promise<void> {
  const { client, settings } = context.s3(step.connection);
  const decrypt = await prepareDecryption(context, step);
  for (const object of step.objects) {
    const candidate = context.selected.find((c) => c.key === object.key);
    if (!candidate) continue;
    const downloaded = await downloadObject(client, {
      connection: step.connection,
      bucket: step.bucket,
      key: object.key,
      destPath: join(context.tempDir, object.localName),
      expectedSize: object.size,
      bodyIdleTimeoutMs: settings.bodyIdleTimeoutMs,
    });
    const path = await decrypt(object.key, downloaded.path);
    context.fetched.push({ candidate, path, sha256: downloaded.sha256 });
  }
}
