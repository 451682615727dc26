/**
 * The state store: everything ferry remembers, over one BlobStore (a local directory, or S3 under
 * `s3://bucket/prefix/` with the same keys). On S3 also `backend.json` (what the last probe of the
 * endpoint's conditional writes found) and, for a moment during a probe, an object under `probes/`.
 *
 *   pipelines/<name>/state.json                 committed state (the commit point; compare-and-swap)
 *   pipelines/<name>/snapshot-<run>.parquet     the diff snapshot state.json refers to
 *   pipelines/<name>/lock.json                  one writer at a time
 *   pipelines/<name>/journal.json               the run in progress: its run id and time, output keys
 *   pipelines/<name>/runs/<attempt>.json        one record per attempt, failed ones included
 *   pipelines/<name>/runs/<attempt>.rejected.csv  every rejected row of that attempt
 *   pipelines/<name>/last-run.json              when the last successful apply ran, changes or not
 *   datasets/<name>/…                           see dataset-store.ts
 *
 * A failed run never commits, so state.json and the snapshot stay byte-identical (I3).
 */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { pausePoint } from '../io/pause-point.js';
import {
  assertLockable,
  backendWarnings,
  type LockPolicy,
  type StateWarning,
} from './state-backend-checks.js';
import type { BlobStore } from './blob-store.js';
import { DatasetStore } from './dataset-store.js';
import {
  emptyPipelineState,
  STATE_FORMAT_VERSION,
  type OrphanObject,
  type PipelineState,
  type RunRecord,
} from './pipeline-state.js';
import { parseStateDocument } from './state-documents.js';
import {
  acquireLock,
  lockHolderIsGone,
  readLock,
  type HeldLock,
  type LockInfo,
  type LockOptions,
  type LockStatus,
} from './state-lock.js';

/** The last successful apply of a pipeline (last-run.json). */
export interface LastRun {
  runId: string;
  /** ISO instants. */
  startedAt: string;
  finishedAt: string;
}

function isLastRun(value: unknown): value is LastRun {
  if (typeof value !== 'object' || value === null) return false;
  const run = value as Record<string, unknown>;
  return (
    typeof run['runId'] === 'string' &&
    ['startedAt', 'finishedAt'].every((k) => {
      const at = run[k];
      return typeof at === 'string' && !Number.isNaN(Date.parse(at));
    })
  );
}

/** The run a pipeline is in the middle of: written before its first upload, removed by its commit. */
export interface RunJournal {
  formatVersion: 1;
  pipeline: string;
  /** What the run takes (config + input objects): a retry with the same fingerprint resumes it. */
  fingerprint: string;
  runId: string;
  runTime: string;
  /** Attempt ids that ran under this run id, oldest first. */
  attempts: string[];
  /** Output objects journaled before upload (so a later run can find them if this one never commits). */
  outputs: OrphanObject[];
  /** Outputs of earlier runs with other inputs that never committed: to delete. */
  orphans: OrphanObject[];
}

/** A pipeline's state as read, with the backend version its commit must still find. */
export interface ReadPipelineState {
  state: PipelineState;
  /** undefined: no state yet (the first commit creates it). */
  blobVersion: string | undefined;
}

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface StateStoreOptions {
  /**
   * `required` (default): refuse to lock on a backend that does not enforce conditional writes.
   * `unsafe-single-writer`: lock anyway, advisory only (the project promised one writer at a time).
   */
  lock?: LockPolicy;
  /** Lock TTL unless a caller gives one (`state.lock_ttl`). */
  lockTtlMs?: number;
}

export class StateStore {
  readonly datasets: DatasetStore;
  private lockable: Promise<void> | undefined;

  constructor(
    readonly blobs: BlobStore,
    private readonly options: StateStoreOptions = {},
  ) {
    this.datasets = new DatasetStore(blobs);
  }

  get location(): string {
    return this.blobs.location;
  }

  pipelineKey(pipeline: string, name: string): string {
    // Pipeline names are validated by the schema; check again because this names a blob.
    if (!SAFE_NAME.test(pipeline)) {
      throw new FerryError('STATE_BAD_NAME', `"${pipeline}" cannot be used as a pipeline name in state.`);
    }
    return `pipelines/${pipeline}/${name}`;
  }

  describe(key: string): string {
    return this.blobs.describe(key);
  }

  async readPipelineState(pipeline: string): Promise<ReadPipelineState> {
    const key = this.pipelineKey(pipeline, 'state.json');
    const blob = await this.blobs.read(key);
    if (!blob) return { state: emptyPipelineState(pipeline), blobVersion: undefined };
    const state = parseStateDocument<PipelineState>('pipeline state', blob.data, {
      where: this.describe(key),
      context: { pipeline },
      hint: 'Restore it from a backup; ferry writes state atomically, so it was changed outside ferry.',
    });
    if (state.formatVersion > STATE_FORMAT_VERSION) {
      throw new FerryError(
        'STATE_VERSION',
        `${this.describe(key)} has format version ${state.formatVersion}; this ferry reads up to ${STATE_FORMAT_VERSION}.`,
        { context: { pipeline }, hint: 'Upgrade ferry to the version that wrote this state.' },
      );
    }
    // Version 1 had no generation; it upgrades in memory and is written as version 2 by the next commit.
    return {
      state: { ...state, formatVersion: STATE_FORMAT_VERSION, generation: state.generation ?? 0 },
      blobVersion: blob.version,
    };
  }

  /** Names of the pipelines that have committed state (whether or not they are still configured). */
  async listPipelinesWithState(): Promise<string[]> {
    const keys = await this.blobs.list('pipelines/');
    return keys
      .map((k) => /^pipelines\/([^/]+)\/state\.json$/.exec(k)?.[1])
      .filter((n): n is string => n !== undefined && SAFE_NAME.test(n))
      .sort();
  }

  /** Copies the diff snapshot `file` (named in state) to a local path. */
  async fetchSnapshot(pipeline: string, file: string, localPath: string): Promise<void> {
    const key = this.pipelineKey(pipeline, file);
    if (!(await this.blobs.getFile(key, localPath))) {
      throw new FerryError(
        'STATE_SNAPSHOT_MISSING',
        `The diff snapshot ${this.describe(key)} that state refers to is missing.`,
        {
          context: { pipeline },
          hint: 'Restore it from a backup. Or remove `snapshot` from state.json (`ferry state show` shows it): the next run then counts every row as added.',
        },
      );
    }
  }

  /**
   * The commit point of a run: stores the new snapshot under a fresh name, then replaces state.json
   * only if it is still the document this run read (`expected`); finally removes older snapshots.
   */
  async commitPipelineState(
    pipeline: string,
    next: PipelineState,
    options: { expected: string | undefined; snapshotFrom?: string },
  ): Promise<void> {
    if (options.snapshotFrom) {
      if (!next.snapshot) throw new Error('commitPipelineState: snapshotFrom without state.snapshot');
      await this.blobs.putFile(this.pipelineKey(pipeline, next.snapshot.file), options.snapshotFrom);
    }
    const key = this.pipelineKey(pipeline, 'state.json');
    const document: PipelineState = { ...next, formatVersion: STATE_FORMAT_VERSION };
    try {
      await this.blobs.write(
        key,
        JSON.stringify(document, null, 2) + '\n',
        options.expected === undefined ? { ifNoneMatch: '*' } : { ifMatch: options.expected },
      );
    } catch (error) {
      if (isFerryError(error) && error.code === 'STATE_CONFLICT') {
        throw new FerryError(
          'STATE_CONFLICT',
          `The state of pipeline "${pipeline}" was committed by another run while this one worked (${this.describe(key)}); this run's state was not written.`,
          {
            context: { pipeline },
            hint: 'Its outputs are journaled and are removed by the next run. Run `ferry apply` again.',
          },
        );
      }
      throw error;
    }
    for (const k of await this.blobs.list(`pipelines/${pipeline}/`)) {
      const name = k.slice(`pipelines/${pipeline}/`.length);
      if (/^snapshot-.*\.parquet$/.test(name) && name !== next.snapshot?.file) {
        await this.blobs.delete(k).catch(() => undefined);
      }
    }
  }

  // Journal ------------------------------------------------------------------------------------

  async readJournal(pipeline: string): Promise<RunJournal | undefined> {
    const key = this.pipelineKey(pipeline, 'journal.json');
    const blob = await this.blobs.read(key);
    if (!blob) return undefined;
    return parseStateDocument<RunJournal>('run journal', blob.data, {
      where: this.describe(key),
      context: { pipeline },
      hint: `It lists the outputs of a run that did not finish. Check those objects, then remove the file and run again.`,
    });
  }

  async writeJournal(journal: RunJournal): Promise<void> {
    await this.blobs.write(
      this.pipelineKey(journal.pipeline, 'journal.json'),
      JSON.stringify(journal, null, 2) + '\n',
    );
  }

  async clearJournal(pipeline: string): Promise<void> {
    await this.blobs.delete(this.pipelineKey(pipeline, 'journal.json'));
  }

  // Last run ----------------------------------------------------------------------------------

  /**
   * When the last successful apply ran, whether it changed anything or not (one that changes nothing
   * commits no state): what `serve` counts catch-up and completion anchors from after a restart.
   * Advisory, not the commit point: a plain write, and a missing or unreadable file is no last run.
   */
  async writeLastRun(pipeline: string, run: LastRun): Promise<void> {
    await this.blobs.write(this.pipelineKey(pipeline, 'last-run.json'), JSON.stringify(run) + '\n');
  }

  async readLastRun(pipeline: string): Promise<LastRun | undefined> {
    const blob = await this.blobs.read(this.pipelineKey(pipeline, 'last-run.json')).catch(() => undefined);
    if (!blob) return undefined;
    try {
      const value: unknown = JSON.parse(blob.data.toString('utf8'));
      return isLastRun(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  // Run records ---------------------------------------------------------------------------------

  /** Writes a run record under its attempt id; returns where it went. */
  async writeRunRecord(pipeline: string, record: RunRecord): Promise<string> {
    const key = this.pipelineKey(pipeline, `runs/${safeSegment(record.attemptId ?? record.runId)}.json`);
    await this.blobs.write(key, JSON.stringify(record, null, 2) + '\n');
    return this.describe(key);
  }

  /** Keeps a run's rejected rows (a CSV in the temp dir) beside its record; returns where they went. */
  async keepRejectedRows(pipeline: string, attemptId: string, localPath: string): Promise<string> {
    const key = this.pipelineKey(pipeline, `runs/${safeSegment(attemptId)}.rejected.csv`);
    await this.blobs.putFile(key, localPath);
    return this.describe(key);
  }

  // Locks ---------------------------------------------------------------------------------------

  async acquirePipelineLock(pipeline: string, options: LockOptions): Promise<HeldLock> {
    const key = this.pipelineKey(pipeline, 'lock.json');
    await pausePoint('before-lock');
    await this.assertLockable();
    const held = await acquireLock(
      this.blobs,
      key,
      `Pipeline "${pipeline}"`,
      { pipeline },
      this.withTtl(options),
    );
    await pausePoint('after-lock');
    return held;
  }

  /** A dataset has one writer at a time too: two pipelines merging into it take turns. */
  async acquireDatasetLock(dataset: string, options: LockOptions): Promise<HeldLock> {
    await this.assertLockable();
    return acquireLock(
      this.blobs,
      this.datasets.lockKey(dataset),
      `Dataset "${dataset}"`,
      { dataset },
      this.withTtl(options),
    );
  }

  private withTtl(options: LockOptions): LockOptions {
    const ttlMs = options.ttlMs ?? this.options.lockTtlMs;
    return ttlMs === undefined ? options : { ...options, ttlMs };
  }

  /**
   * Locks only mean something where conditional writes are enforced. Elsewhere ferry refuses to
   * pretend, unless the project accepted running unlocked (`state.lock: unsafe-single-writer`).
   */
  private assertLockable(): Promise<void> {
    this.lockable ??= assertLockable(this.blobs, this.options.lock ?? 'required');
    // A failed check (network) is not remembered: the next lock asks again.
    this.lockable.catch(() => (this.lockable = undefined));
    return this.lockable;
  }

  /** What every plan and apply report says about the backend first (see state-backend-checks.ts). */
  backendWarnings(): Promise<StateWarning[]> {
    return backendWarnings(this.blobs, this.options.lock ?? 'required');
  }

  /** Whether a lock's holder is known to be gone (never on a store shared across machines). */
  lockHolderIsGone(holder: LockInfo): boolean {
    return lockHolderIsGone(holder, { sharedStore: this.blobs.sharedAcrossHosts });
  }

  readPipelineLock(pipeline: string): Promise<LockStatus> {
    return readLock(this.blobs, this.pipelineKey(pipeline, 'lock.json'));
  }

  /** Removes a pipeline's lock document as it is now (`expected`: the version the caller inspected). */
  async removePipelineLock(pipeline: string, expected: string): Promise<void> {
    await this.blobs.delete(this.pipelineKey(pipeline, 'lock.json'), { ifMatch: expected });
  }
}

function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);
}
