/**
 * Datasets ferry maintains, stored as versioned Parquet in the state backend:
 *
 *   datasets/<name>/manifest.json                 { current, versions[] } — the single commit point
 *   datasets/<name>/v000007-<attempt>.parquet     one immutable file per version (never overwritten)
 *
 * A new version is stored first under a name no other write can have, and becomes current only when
 * the manifest is replaced — conditionally on the manifest the run read — after the run's outputs are
 * verified. Each version records its row count and SHA-256; a file that no longer matches is refused
 * on read, never built upon. A missing manifest while version files exist is an error with the way
 * out (`ferry state repair`), never a silent restart at version 1. `rollback` moves the pointer back.
 * The manifest records which version each one was merged into (`parents`, kept for pruned versions
 * too), so an incremental export can tell whether what it last exported is in the current history.
 */
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { sha256OfFile } from '../io/sha256-of-file.js';
import type { BlobStore } from './blob-store.js';
import { parseStateDocument } from './state-documents.js';

/** 2: unique version file names, `sha256` per version. Version 1 manifests are read as they are. */
export const DATASET_FORMAT_VERSION = 2;

export interface DatasetVersion {
  /** Monotonic version number; rows carry the version that last changed them. */
  version: number;
  file: string;
  rows: number;
  /** SHA-256 of the Parquet file (absent in version 1 manifests). */
  sha256?: string;
  createdAt: string;
  pipeline: string;
  runId: string;
}

export interface DatasetManifest {
  formatVersion: number;
  dataset: string;
  current: number | null;
  versions: DatasetVersion[];
  /** Version → the version it was merged into (null: the first). Absent in older manifests: linear. */
  parents?: Record<string, number | null>;
}

/** A manifest as read, with the backend version a commit must still find (absent: no manifest yet). */
export type ReadManifest = DatasetManifest & { readonly blobVersion?: string };

/** Whether `ancestor` is `version` or a version it was (transitively) built from. */
export function isAncestorVersion(manifest: DatasetManifest, ancestor: number, version: number): boolean {
  let v: number | null = version;
  while (v !== null && v > ancestor) {
    const parent: number | null | undefined = manifest.parents?.[String(v)];
    v = parent === undefined ? v - 1 : parent;
  }
  return v === ancestor || (v === null && ancestor === 0);
}

/** The number the next version of a dataset gets. */
export function nextDatasetVersion(manifest: DatasetManifest): number {
  return Math.max(0, ...manifest.versions.map((v) => v.version)) + 1;
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
const VERSION_FILE = /^v(\d{6,})(?:-[A-Za-z0-9_-]+)?\.parquet$/;

/** Parent links of every version so far; older manifests without them were linear. */
function lineage(manifest: DatasetManifest): Record<string, number | null> {
  const parents: Record<string, number | null> = { ...manifest.parents };
  for (const v of manifest.versions) {
    if (!(String(v.version) in parents)) parents[String(v.version)] = v.version > 1 ? v.version - 1 : null;
  }
  return parents;
}

function manifestToJson(manifest: DatasetManifest): string {
  const { formatVersion, dataset, current, versions, parents } = manifest;
  return JSON.stringify({ formatVersion, dataset, current, versions, parents }, null, 2) + '\n';
}

export class DatasetStore {
  constructor(readonly blobs: BlobStore) {}

  private key(dataset: string, name: string): string {
    if (!SAFE_NAME.test(dataset)) {
      throw new FerryError('STATE_BAD_NAME', `"${dataset}" cannot be used as a dataset name in state.`);
    }
    return `datasets/${dataset}/${name}`;
  }

  lockKey(dataset: string): string {
    return this.key(dataset, 'lock.json');
  }

  /** Where a version file lives, for messages. */
  describeVersion(manifest: DatasetManifest, version: DatasetVersion): string {
    return this.blobs.describe(this.key(manifest.dataset, version.file));
  }

  async readManifest(dataset: string): Promise<ReadManifest> {
    const key = this.key(dataset, 'manifest.json');
    const blob = await this.blobs.read(key);
    if (!blob) {
      const files = await this.versionFiles(dataset);
      if (files.length > 0) {
        throw new FerryError(
          'DATASET_MANIFEST_MISSING',
          `Dataset "${dataset}" has version files (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}) but no manifest ${this.blobs.describe(key)}.`,
          {
            context: { dataset },
            hint: `Restore the manifest from a backup, or rebuild it from the version files with \`ferry state repair ${dataset}\` (the newest version becomes current).`,
          },
        );
      }
      return { formatVersion: DATASET_FORMAT_VERSION, dataset, current: null, versions: [] };
    }
    const manifest = parseStateDocument<DatasetManifest>('dataset manifest', blob.data, {
      where: this.blobs.describe(key),
      context: { dataset },
      hint: `Restore it from a backup, or rebuild it from the version files with \`ferry state repair ${dataset}\`.`,
    });
    if (manifest.current !== null && !manifest.versions.some((v) => v.version === manifest.current)) {
      throw new FerryError(
        'STATE_CORRUPT',
        `The dataset manifest ${this.blobs.describe(key)} points at version ${manifest.current}, which it does not list.`,
        { context: { dataset }, hint: `Run \`ferry state repair ${dataset}\`.` },
      );
    }
    return { ...manifest, blobVersion: blob.version };
  }

  /** Version files present in the backend for a dataset, sorted by version. */
  async versionFiles(dataset: string): Promise<string[]> {
    const prefix = this.key(dataset, '');
    const keys = await this.blobs.list(prefix);
    return keys
      .map((k) => k.slice(prefix.length))
      .filter((name) => VERSION_FILE.test(name))
      .sort((a, b) => Number(VERSION_FILE.exec(a)?.[1]) - Number(VERSION_FILE.exec(b)?.[1]));
  }

  /**
   * Copies a version (default: the current one) to a local file and checks it is the file the
   * manifest recorded. Returns the version copied, or undefined for an empty dataset.
   */
  async fetchVersion(
    manifest: DatasetManifest,
    localPath: string,
    version: number | null = manifest.current,
  ): Promise<DatasetVersion | undefined> {
    const entry = manifest.versions.find((v) => v.version === version);
    if (!entry) return undefined;
    const where = this.describeVersion(manifest, entry);
    const found = await this.blobs.getFile(this.key(manifest.dataset, entry.file), localPath);
    if (!found) {
      throw new FerryError(
        'DATASET_VERSION_MISSING',
        `Version ${entry.version} of dataset "${manifest.dataset}" is missing: ${where} does not exist.`,
        {
          context: { dataset: manifest.dataset },
          hint: `Restore the file, or make a kept version current with \`ferry state rollback ${manifest.dataset} --to N\`.`,
        },
      );
    }
    if (entry.sha256 !== undefined && (await sha256OfFile(localPath)) !== entry.sha256) {
      throw new FerryError(
        'DATASET_VERSION_CORRUPT',
        `Version ${entry.version} of dataset "${manifest.dataset}" (${where}) is not the file that was committed: its SHA-256 differs.`,
        {
          context: { dataset: manifest.dataset },
          hint: `Restore the file, or make a kept version current with \`ferry state rollback ${manifest.dataset} --to N\`.`,
        },
      );
    }
    return entry;
  }

  /**
   * Makes `from` (a Parquet file in the run's temp dir) the dataset's new current version. The file is
   * stored under a name of its own first; the manifest is replaced only if it is still the one read.
   */
  async commitVersion(
    manifest: ReadManifest,
    input: {
      from: string;
      rows: number;
      version: number;
      pipeline: string;
      runId: string;
      /** Unique per attempt: the version file's name, so no attempt ever overwrites another's file. */
      attemptId: string;
      keepVersions: number;
    },
  ): Promise<ReadManifest> {
    const file = `v${String(input.version).padStart(6, '0')}-${input.attemptId.replace(/[^A-Za-z0-9_-]/g, '_')}.parquet`;
    const sha256 = await sha256OfFile(input.from);
    await this.blobs.putFile(this.key(manifest.dataset, file), input.from, { ifNoneMatch: '*' }, { sha256 });
    const entry: DatasetVersion = {
      version: input.version,
      file,
      rows: input.rows,
      sha256,
      createdAt: new Date().toISOString(),
      pipeline: input.pipeline,
      runId: input.runId,
    };
    const versions = [...manifest.versions.filter((v) => v.version !== input.version), entry]
      .sort((a, b) => a.version - b.version)
      .slice(-Math.max(1, input.keepVersions));
    // The version this run read (and merged into) is the new one's parent.
    const parents = { ...lineage(manifest), [String(input.version)]: manifest.current };
    const next: DatasetManifest = {
      formatVersion: DATASET_FORMAT_VERSION,
      dataset: manifest.dataset,
      current: input.version,
      versions,
      parents,
    };
    const blobVersion = await this.writeManifest(next, manifest.blobVersion);
    await this.prune(next);
    return { ...next, blobVersion };
  }

  /** Point the dataset back at an older kept version (default: the one before current). */
  async rollback(dataset: string, to?: number): Promise<DatasetManifest> {
    const manifest = await this.readManifest(dataset);
    const older = manifest.versions.filter((v) => manifest.current === null || v.version < manifest.current);
    const target =
      to === undefined ? older[older.length - 1] : manifest.versions.find((v) => v.version === to);
    if (!target) {
      throw new FerryError(
        'DATASET_VERSION_NOT_FOUND',
        `Dataset "${dataset}" has no ${to === undefined ? 'earlier' : `version ${to}`} version to roll back to.`,
        {
          context: { dataset },
          hint: `Kept versions: ${manifest.versions.map((v) => v.version).join(', ') || 'none'}.`,
        },
      );
    }
    const next = { ...manifest, current: target.version };
    await this.writeManifest(next, manifest.blobVersion);
    return next;
  }

  /**
   * Rebuilds a lost or damaged manifest from the version files present: each file's version number
   * comes from its name, its rows from `countRows`, its hash from its bytes; the newest is current.
   */
  async repair(
    dataset: string,
    options: { scratchPath: string; countRows: (localPath: string) => Promise<number> },
  ): Promise<DatasetManifest> {
    const files = await this.versionFiles(dataset);
    if (files.length === 0) {
      throw new FerryError(
        'DATASET_VERSION_NOT_FOUND',
        `Dataset "${dataset}" has no version files to rebuild from.`,
        {
          context: { dataset },
        },
      );
    }
    const current = await this.blobs.read(this.key(dataset, 'manifest.json'));
    const byVersion = new Map<number, DatasetVersion>();
    for (const file of files) {
      await this.blobs.getFile(this.key(dataset, file), options.scratchPath);
      const version = Number(VERSION_FILE.exec(file)?.[1]);
      // Of two files with one number (a crashed attempt and its retry), the later name wins.
      byVersion.set(version, {
        version,
        file,
        rows: await options.countRows(options.scratchPath),
        sha256: await sha256OfFile(options.scratchPath),
        createdAt: new Date().toISOString(),
        pipeline: '(repair)',
        runId: '(repair)',
      });
    }
    const versions = [...byVersion.values()].sort((a, b) => a.version - b.version);
    const next: DatasetManifest = {
      formatVersion: DATASET_FORMAT_VERSION,
      dataset,
      current: versions[versions.length - 1]?.version ?? null,
      versions,
    };
    await this.writeManifest(next, current?.version);
    return next;
  }

  private async writeManifest(manifest: DatasetManifest, expected: string | undefined): Promise<string> {
    const key = this.key(manifest.dataset, 'manifest.json');
    try {
      return await this.blobs.write(
        key,
        manifestToJson(manifest),
        expected === undefined ? { ifNoneMatch: '*' } : { ifMatch: expected },
      );
    } catch (error) {
      if (isFerryError(error) && error.code === 'STATE_CONFLICT') {
        throw new FerryError(
          'STATE_CONFLICT',
          `Dataset "${manifest.dataset}" was changed by another run while this one worked (${this.blobs.describe(key)}).`,
          {
            context: { dataset: manifest.dataset },
            hint: 'Nothing of this run was committed. Run it again: it merges into the new version.',
          },
        );
      }
      throw error;
    }
  }

  /** Removes version files the manifest no longer keeps (pruned, or left by a crashed attempt). */
  private async prune(manifest: DatasetManifest): Promise<void> {
    const kept = new Set(manifest.versions.map((v) => v.file));
    for (const file of await this.versionFiles(manifest.dataset)) {
      if (!kept.has(file)) await this.blobs.delete(this.key(manifest.dataset, file)).catch(() => undefined);
    }
  }
}
