/**
 * upload: each local output to its object key (lib-storage multipart), verified by HEAD (length and
 * the SHA-256 in metadata). Keys are deterministic, so a retry overwrites rather than duplicates.
 */
import { failpoint } from '../io/failpoint.js';
import { uploadFile } from '../io/s3/upload-file.js';
import type { UploadStep } from '../plan/plan-model.js';
import type { StepContext } from './step-context.js';

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  'multi-csv': 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
};

export async function executeUploadStep(context: StepContext, step: UploadStep): Promise<void> {
  for (const output of context.outputs) {
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
  }
}
