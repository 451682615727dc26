/**
 * upload: each local output to its object key, UPLOAD_CONCURRENCY at once, each one proved (the PUT's
 * ETag against the file's MD5, or HEAD: length and the SHA-256 in metadata). Every key was journaled
 * before this step starts (execute-pipeline-steps.ts), so the order they land in does not matter; keys
 * are deterministic, so a retry overwrites rather than duplicates. After the first failure no new upload
 * starts and the ones in flight finish (each is bounded): what landed is then exactly the outputs that
 * completed, and the journal lists them all for the next run.
 */
import { failpoint } from '../io/failpoint.js';
import { mapWithConcurrency } from '../io/map-with-concurrency.js';
import { uploadFile } from '../io/s3/upload-file.js';
import type { UploadStep } from '../plan/plan-model.js';
import type { StepContext } from './step-context.js';

/**
 * Outputs in flight at once. A small output is one PUT; a large one holds up to 8 parts of 8 MiB, so
 * this bounds the step's buffers near 256 MiB, and the client's 50 kept-alive sockets cover it.
 */
export const UPLOAD_CONCURRENCY = 4;

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  'multi-csv': 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
};

export async function executeUploadStep(context: StepContext, step: UploadStep): Promise<void> {
  await mapWithConcurrency(context.outputs, { limit: UPLOAD_CONCURRENCY }, async (output) => {
    const connection = output.connection ?? step.connection;
    const { client } = context.s3(connection);
    const uploaded = await uploadFile(client, {
      connection,
      bucket: output.bucket,
      key: output.key,
      filePath: output.path,
      contentType: output.contentType ?? CONTENT_TYPES[output.format] ?? 'application/octet-stream',
      metadata: {
        'ferry-pipeline': context.pipeline.name,
        'ferry-run-id': context.runId,
        'ferry-rows': String(output.rows),
      },
    });
    output.sha256 = uploaded.sha256;
    context.counts.objectsWritten += 1;
    if (context.counts.objectsWritten < context.outputs.length) failpoint('mid-upload');
  });
}
