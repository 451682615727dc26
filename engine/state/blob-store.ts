/**
 * The storage a state backend is made of: named blobs with versions and conditional writes. The
 * state layer (pipeline state, locks, the run journal, dataset versions, run records) is written once
 * against this interface; the local directory and S3 differ only here.
 *
 * Keys are `/`-separated relative names chosen by ferry (`pipelines/<name>/state.json`), never taken
 * from an object key or user data. A version is opaque: an S3 ETag, or a content hash locally.
 */

export interface StoredBlob {
  data: Buffer;
  /** Opaque version of what was read, for a later conditional write. */
  version: string;
  modifiedAt: Date;
}

/**
 * `ifMatch`: replace only if the blob is still at this version. `ifNoneMatch: '*'`: create only if
 * absent. A write that fails its condition throws FerryError `STATE_CONFLICT`.
 */
export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/** Whether a backend makes conditional writes atomic, and how that is known. */
export interface ConditionalWriteCheck {
  /** `unknown`: these credentials cannot write, and no writer recorded what it found. */
  support: 'enforced' | 'not-enforced' | 'unknown';
  /** How it was found out, for messages: "probed just now", "as a run recorded at …". */
  how: string;
}

export interface BlobStore {
  /** Where the state lives, for messages: `state/` or `s3://bucket/prefix/`. */
  readonly location: string;
  /**
   * True when processes on other machines use the same store (S3). The pid of a lock holder that
   * seems to run on this machine then proves nothing (containers share host names and pid numbers):
   * a lock is taken over only once it expired.
   */
  readonly sharedAcrossHosts: boolean;
  /**
   * Whether conditional writes are enforced, which locks and compare-and-swap commits rely on. An
   * S3 endpoint is probed once per store (cached). `readOnly`: credentials that may not write get
   * what a writer recorded (or `unknown`) instead of an error.
   */
  checkConditionalWrites(options?: { readOnly?: boolean }): Promise<ConditionalWriteCheck>;
  read(key: string): Promise<StoredBlob | undefined>;
  /** Writes atomically (readers see the old blob or the new one); returns the new version. */
  write(key: string, data: string | Buffer, condition?: WriteCondition): Promise<string>;
  /** Deletes (absent is fine); with `ifMatch`, only if the blob is still at that version. */
  delete(key: string, condition?: { ifMatch: string }): Promise<void>;
  /** Keys under a prefix (`pipelines/a/runs/`), sorted; a missing prefix lists nothing. */
  list(prefix: string): Promise<string[]>;
  /**
   * Stores a local file under a key (large immutable blobs: snapshots, dataset versions). `known`: the
   * file's SHA-256 as the caller just took it, so a backend that records it need not read the file
   * again for it.
   */
  putFile(
    key: string,
    localPath: string,
    condition?: { ifNoneMatch: '*' },
    known?: { sha256: string },
  ): Promise<void>;
  /** Copies a blob to a local file; false when it does not exist. */
  getFile(key: string, localPath: string): Promise<boolean>;
  /** A human-readable place of one key (`state/pipelines/a/runs/x.csv`, `s3://b/p/…`). */
  describe(key: string): string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Keys are ferry's own names: checked once here so no backend builds a path or URL from anything else. */
export function assertStateKey(key: string): void {
  const segments = key.split('/');
  if (!segments.every((s) => SEGMENT.test(s) && s !== '..' && s !== '.')) {
    throw new Error(`Invalid state key "${key}"`);
  }
}
