/**
 * Objects that a run uploaded but never committed (it failed, or was killed, and the next run took
 * other inputs and so other keys) are removed once a later run's own outputs are verified. Only an
 * object that still carries the orphaned run's id in its metadata is deleted: anything rewritten
 * since, by ferry or anyone else, is left alone. A sink that refuses deletes keeps its orphans, and
 * they are reported by every plan until they are gone.
 */
import { isFerryError } from '../errors/ferry-error.js';
import { abortMultipartUploads } from '../io/s3/abort-multipart-uploads.js';
import { deleteObject } from '../io/s3/delete-object.js';
import { headObject } from '../io/s3/head-object.js';
import type { OrphanObject } from '../state/pipeline-state.js';
import type { S3Access } from '../steps/step-context.js';

export interface OrphanOutcome {
  deleted: OrphanObject[];
  kept: Array<OrphanObject & { reason: string }>;
}

export async function removeOrphans(
  pipeline: string,
  orphans: readonly OrphanObject[],
  s3: (connection: string) => S3Access,
): Promise<OrphanOutcome> {
  const outcome: OrphanOutcome = { deleted: [], kept: [] };
  for (const orphan of orphans) {
    const { connection, bucket, key } = orphan;
    try {
      const { client } = s3(connection);
      await abortMultipartUploads(client, { connection, bucket, key });
      let head;
      try {
        head = await headObject(client, { connection, bucket, key });
      } catch (error) {
        if (isFerryError(error) && error.code === 'S3_NO_SUCH_KEY') continue; // never landed, or gone
        throw error;
      }
      if (head.metadata['ferry-run-id'] !== orphan.runId || head.metadata['ferry-pipeline'] !== pipeline) {
        continue; // rewritten since: not an orphan any more
      }
      await deleteObject(client, { connection, bucket, key });
      outcome.deleted.push(orphan);
    } catch (error) {
      const reason = isFerryError(error)
        ? error.code
        : error instanceof Error
          ? error.message
          : String(error);
      outcome.kept.push({ ...orphan, reason });
    }
  }
  return outcome;
}
