/**
 * ferry never overwrites an object another run wrote: a filename template that resolves to the same
 * key twice (a day-resolution timestamp run twice a day, a fixed name) would silently replace
 * yesterday's export. The one exception is a retry of the same run (same run id in the object's
 * metadata), which must overwrite its own partial output. Checked in `plan` too, so a reviewer sees it.
 */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { headObject } from '../io/s3/head-object.js';
import type { LocalOutput, S3Access } from '../steps/step-context.js';

export async function checkOutputsAbsent(input: {
  pipeline: string;
  runId: string;
  outputs: readonly LocalOutput[];
  defaultConnection: string | undefined;
  s3: (connection: string) => S3Access;
}): Promise<void> {
  for (const output of input.outputs) {
    const connection = output.connection ?? input.defaultConnection;
    if (connection === undefined) continue;
    let existing: Awaited<ReturnType<typeof headObject>> | undefined;
    try {
      existing = await headObject(input.s3(connection).client, {
        connection,
        bucket: output.bucket,
        key: output.key,
      });
    } catch (error) {
      if (isFerryError(error) && error.code === 'S3_NO_SUCH_KEY') continue;
      throw error;
    }
    const writer = existing.metadata['ferry-run-id'];
    if (writer === input.runId) continue;
    throw new FerryError(
      'OUTPUT_EXISTS',
      `s3://${output.bucket}/${output.key} already exists${writer ? ` (written by run ${writer})` : ''}; ferry does not overwrite another run's output.`,
      {
        context: { pipeline: input.pipeline, step: 'write-files', bucket: output.bucket, key: output.key },
        hint: 'Make sink.filename unique per run: {{run_id}} in it, or a timestamp_format as fine as the schedule, with the offset token Z or sink.timezone: UTC (local times repeat when clocks go back); {{source_stem}} when each run takes other files.',
      },
    );
  }
}
