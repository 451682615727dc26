/**
 * The commit protocol of one run, in the order that makes it safe (I2, I3):
 *
 *   begin    read the journal: a run with the same inputs that never committed is resumed (same run
 *            id and time, so the same output keys); outputs of one with other inputs become orphans
 *   journal  before the first upload, record every output key the run will write
 *   (upload and verify: the run's steps)
 *   commit   the dataset version, then the pipeline state — each conditional on what the run read —
 *            then the run record; finally the journal is cleared
 *
 * A run that fails anywhere leaves state as it was; its journal tells the next run what to resume or
 * remove. Every attempt gets its own run record; a retry links to the attempt before it.
 */
import { failpoint } from '../io/failpoint.js';
import type { ReadManifest } from './dataset-store.js';
import type { OrphanObject, PipelineState, RunRecord } from './pipeline-state.js';
import type { ReadPipelineState, RunJournal, StateStore } from './state-store.js';

export interface RunIdentity {
  /** The run's id in output keys and object metadata. */
  runId: string;
  /** The run time templates render. */
  runTime: Date;
  /** This attempt's own id (equal to runId unless this is a retry). */
  attemptId: string;
  /** The attempt this one retries, when it resumes a run that did not commit. */
  retryOf?: string;
}

export interface DatasetCommit {
  manifest: ReadManifest;
  from: string;
  rows: number;
  version: number;
  keepVersions: number;
}

function sameObject(a: OrphanObject, b: OrphanObject): boolean {
  return a.bucket === b.bucket && a.key === b.key && a.connection === b.connection;
}

function union(a: readonly OrphanObject[], b: readonly OrphanObject[]): OrphanObject[] {
  return [...a, ...b.filter((x) => !a.some((y) => sameObject(x, y)))];
}

export class RunCommit {
  private constructor(
    private readonly store: StateStore,
    readonly pipeline: string,
    readonly read: ReadPipelineState,
    readonly identity: RunIdentity,
    private readonly fingerprint: string,
    private readonly previous: RunJournal | undefined,
    /** Outputs of earlier runs that never committed and are not this run's: to remove. */
    readonly orphans: readonly OrphanObject[],
  ) {}

  /**
   * Decides the run's identity from the journal. `fixed`: a saved plan's run id and time, which apply
   * must use so it writes exactly the keys the plan showed.
   */
  static async begin(
    store: StateStore,
    input: {
      pipeline: string;
      read: ReadPipelineState;
      fingerprint: string;
      attemptId: string;
      now: Date;
      fixed?: { runId: string; runTime: string };
    },
  ): Promise<RunCommit> {
    const journal = await store.readJournal(input.pipeline);
    const resumed = journal?.fingerprint === input.fingerprint ? journal : undefined;
    const runId = input.fixed?.runId ?? resumed?.runId ?? input.attemptId;
    const runTime = new Date(input.fixed?.runTime ?? resumed?.runTime ?? input.now.toISOString());
    const retryOf = resumed?.runId === runId ? resumed.attempts[resumed.attempts.length - 1] : undefined;
    const carried =
      journal === undefined ? [] : resumed ? journal.orphans : union(journal.orphans, journal.outputs);
    const orphans = union(carried, input.read.state.orphans ?? []);
    return new RunCommit(
      store,
      input.pipeline,
      input.read,
      { runId, runTime, attemptId: input.attemptId, ...(retryOf !== undefined ? { retryOf } : {}) },
      input.fingerprint,
      resumed?.runId === runId ? resumed : undefined,
      orphans,
    );
  }

  /** Records the keys this run is about to upload. Must be called before the first upload. */
  async journal(outputs: readonly OrphanObject[]): Promise<void> {
    const journal: RunJournal = {
      formatVersion: 1,
      pipeline: this.pipeline,
      fingerprint: this.fingerprint,
      runId: this.identity.runId,
      runTime: this.identity.runTime.toISOString(),
      attempts: [...(this.previous?.attempts ?? []), this.identity.attemptId],
      outputs: union(this.previous?.outputs ?? [], outputs),
      orphans: [...this.orphans],
    };
    await this.store.writeJournal(journal);
  }

  /**
   * Commits only the quarantine of the run's refused source files: the state this run read with its
   * `quarantined` list replaced, conditional on that read. Nothing else of the run (no processed
   * files, cursor, snapshot, dataset version or record) and the journal stays for the next run.
   */
  async commitQuarantine(quarantined: PipelineState['quarantined']): Promise<void> {
    const next: PipelineState = { ...this.read.state, generation: this.read.state.generation + 1 };
    if (quarantined?.length) next.quarantined = quarantined;
    else delete next.quarantined;
    await this.store.commitPipelineState(this.pipeline, next, { expected: this.read.blobVersion });
  }

  /**
   * Commits the run: the dataset version (if any), then the pipeline state (conditional on the state
   * this run read), then its record; then clears the journal. Throws STATE_CONFLICT, committing
   * nothing of this run, when another run committed in between.
   */
  async commit(input: {
    next: PipelineState;
    snapshotFrom?: string;
    dataset?: DatasetCommit & { name: string };
    /** Absent for a bookkeeping commit (first apply, config change, no new files): no run happened. */
    record?: RunRecord;
  }): Promise<void> {
    const next: PipelineState = { ...input.next, generation: this.read.state.generation + 1 };
    if (input.dataset) {
      const { manifest, from, rows, version, keepVersions, name } = input.dataset;
      await this.store.datasets.commitVersion(manifest, {
        from,
        rows,
        version,
        pipeline: this.pipeline,
        runId: this.identity.runId,
        attemptId: this.identity.attemptId,
        keepVersions,
      });
      next.datasetVersions = { ...next.datasetVersions, [name]: version };
      failpoint('between-commits');
    }
    await this.store.commitPipelineState(this.pipeline, next, {
      expected: this.read.blobVersion,
      ...(input.snapshotFrom !== undefined ? { snapshotFrom: input.snapshotFrom } : {}),
    });
    if (input.record) await this.store.writeRunRecord(this.pipeline, input.record);
    await this.store.clearJournal(this.pipeline);
  }
}
