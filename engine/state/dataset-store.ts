/**
 * Datasets ferry maintains, stored as versioned Parquet beside the pipeline state:
 *
 *   datasets/<name>/manifest.json   { current, versions[] } — the single commit point (temp + rename)
 *   datasets/<name>/v000007.parquet one file per version; the last `keepVersions` are kept
 *
 * A new version is copied in first and becomes current only when the manifest is renamed into
 * place, after the run's outputs are verified. `rollback` moves the pointer back. The manifest also
 * records which version each one was merged into (`parents`, kept for pruned versions too), so an
 * incremental export can tell whether the version it last exported is still in the current one's
 * history — after a rollback it is not, and only a full export brings the consumer back in line.
 */
import { copyFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';
import { writeFileAtomic } from './write-file-atomic.js';

export const DATASET_FORMAT_VERSION = 1;

export interface DatasetVersion {
  /** Monotonic version number; rows carry the version that last changed them. */
  version: number;
  file: string;
  rows: number;
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

/** Whether `ancestor` is `version` or a version it was (transitively) built from. */
export function isAncestorVersion(manifest: DatasetManifest, ancestor: number, version: number): boolean {
  let v: number | null = version;
  while (v !== null && v > ancestor) {
    const parent: number | null | undefined = manifest.parents?.[String(v)];
    v = parent === undefined ? v - 1 : parent;
  }
  return v === ancestor || (v === null && ancestor === 0);
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** Parent links of every version so far; older manifests without them were linear. */
function lineage(manifest: DatasetManifest): Record<string, number | null> {
  const parents: Record<string, number | null> = { ...manifest.parents };
  for (const v of manifest.versions) {
    if (!(String(v.version) in parents)) parents[String(v.version)] = v.version > 1 ? v.version - 1 : null;
  }
  return parents;
}

export class DatasetStore {
  constructor(readonly directory: string) {}

  datasetDir(dataset: string): string {
    if (!SAFE_NAME.test(dataset)) throw new FerryError('STATE_BAD_NAME', `"${dataset}" cannot be used as a dataset directory name.`);
    return join(this.directory, 'datasets', dataset);
  }

  async readManifest(dataset: string): Promise<DatasetManifest> {
    const path = join(this.datasetDir(dataset), 'manifest.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { formatVersion: DATASET_FORMAT_VERSION, dataset, current: null, versions: [] };
      }
      throw new FerryError('STATE_READ_FAILED', `Cannot read dataset manifest ${path}.`, { cause: error, context: { dataset } });
    }
    let manifest: DatasetManifest;
    try {
      manifest = JSON.parse(text) as DatasetManifest;
    } catch (error) {
      throw new FerryError('STATE_CORRUPT', `Dataset manifest ${path} is not valid JSON.`, {
        cause: error,
        context: { dataset },
        hint: 'Restore it from backup; ferry writes manifests atomically, so this file was changed outside ferry.',
      });
    }
    if (manifest.formatVersion !== DATASET_FORMAT_VERSION) {
      throw new FerryError(
        'STATE_VERSION',
        `Dataset manifest ${path} has format version ${String(manifest.formatVersion)}; this ferry reads ${DATASET_FORMAT_VERSION}.`,
        { context: { dataset }, hint: 'Upgrade ferry to the version that wrote this state.' },
      );
    }
    return manifest;
  }

  /** Path of the current version's Parquet file, or undefined for an empty (never written) dataset. */
  currentFile(manifest: DatasetManifest): string | undefined {
    const current = manifest.versions.find((v) => v.version === manifest.current);
    // resolve: a plan's not-yet-committed version (see run-project) is referenced by an absolute path.
    return current ? resolve(this.datasetDir(manifest.dataset), current.file) : undefined;
  }

  nextVersion(manifest: DatasetManifest): number {
    return Math.max(0, ...manifest.versions.map((v) => v.version)) + 1;
  }

  /** Make `from` (a Parquet file in the run's temp dir) the dataset's new current version. */
  async commitVersion(
    manifest: DatasetManifest,
    input: { from: string; rows: number; version: number; pipeline: string; runId: string; keepVersions: number },
  ): Promise<DatasetManifest> {
    const dir = this.datasetDir(manifest.dataset);
    await mkdir(dir, { recursive: true });
    const file = `v${String(input.version).padStart(6, '0')}.parquet`;
    await copyFile(input.from, join(dir, file));
    const handle = await open(join(dir, file), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const entry: DatasetVersion = {
      version: input.version,
      file,
      rows: input.rows,
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
      ...manifest,
      formatVersion: DATASET_FORMAT_VERSION,
      current: input.version,
      versions,
      parents,
    };
    await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(next, null, 2) + '\n');
    // Remove pruned versions, and files a crashed run copied in but never made current.
    const kept = new Set(versions.map((v) => v.file));
    for (const entry of await readdir(dir)) {
      const stale = /^v\d{6,}\.parquet$/.test(entry) && !kept.has(entry);
      if (stale || entry.startsWith('manifest.json.tmp-')) await rm(join(dir, entry), { force: true });
    }
    return next;
  }

  /** Point the dataset back at an older kept version (default: the one before current). */
  async rollback(dataset: string, to?: number): Promise<DatasetManifest> {
    const manifest = await this.readManifest(dataset);
    const older = manifest.versions.filter((v) => manifest.current === null || v.version < manifest.current);
    const target = to === undefined ? older[older.length - 1] : manifest.versions.find((v) => v.version === to);
    if (!target) {
      throw new FerryError(
        'DATASET_VERSION_NOT_FOUND',
        `Dataset "${dataset}" has no ${to === undefined ? 'earlier' : `version ${to}`} version to roll back to.`,
        { context: { dataset }, hint: `Kept versions: ${manifest.versions.map((v) => v.version).join(', ') || 'none'}.` },
      );
    }
    const next = { ...manifest, current: target.version };
    await writeFileAtomic(join(this.datasetDir(dataset), 'manifest.json'), JSON.stringify(next, null, 2) + '\n');
    return next;
  }
}
