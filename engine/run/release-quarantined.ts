/**
 * `ferry state release PIPELINE KEY`: takes a source file out of quarantine, so the next run takes
 * it again (and checks it again: a guard that still trips quarantines it again; `--allow` lets it
 * through). Under the pipeline's lock, a compare-and-swap on the state it read, like a run's commit.
 */
import { FerryError } from '../errors/ferry-error.js';
import type { QuarantinedObject } from '../state/pipeline-state.js';
import type { StateStore } from '../state/state-store.js';

export async function releaseQuarantined(
  store: StateStore,
  input: { pipeline: string; key: string; runId: string },
): Promise<QuarantinedObject> {
  const { pipeline, key } = input;
  const lock = await store.acquirePipelineLock(pipeline, { runId: input.runId });
  try {
    const read = await store.readPipelineState(pipeline);
    const quarantined = read.state.quarantined ?? [];
    const entry = quarantined.find((q) => q.key === key);
    if (!entry) {
      throw new FerryError(
        'NOT_QUARANTINED',
        `${key} is not quarantined in pipeline "${pipeline}"${quarantined.length ? `; quarantined: ${quarantined.map((q) => q.key).join(', ')}` : ''}.`,
        {
          context: { pipeline, key },
          hint: `\`ferry state show ${pipeline}\` lists the quarantined files (the key is the whole object key).`,
        },
      );
    }
    const rest = quarantined.filter((q) => q.key !== key);
    const next = { ...read.state, generation: read.state.generation + 1 };
    if (rest.length) next.quarantined = rest;
    else delete next.quarantined;
    await lock.assertHeld();
    await store.commitPipelineState(pipeline, next, { expected: read.blobVersion });
    return entry;
  } finally {
    await lock.release();
  }
}
