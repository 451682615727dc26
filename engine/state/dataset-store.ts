/**
 * Datasets ferry maintains, stored as versioned Parquet beside the pipeline state:
 *
 *   datasets/<name>/manifest.json   { current, versions[] } — the single commit point (temp + rename)
 *   datasets/<name>/v000007.parquet one file per version; the last `keepVersions` are kept
 *
 * A new version is copied in first and becomes current only when the manifest is renamed into
 * place, after the run's outputs are verified. `rollback` moves the pointer back.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors/ferry-error.js';

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
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp-${randomUUID()}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
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
    try {
      return JSON.parse(text) as DatasetManifest;
    } catch (error) {
      throw new FerryError('STATE_CORRUPT', `Dataset manifest ${path} is not valid JSON.`, { cause: error, context: { dataset } });
    }
  }

  /** Path of the current version's Parquet file, or undefined for an empty (never written) dataset. */
  currentFile(manifest: DatasetManifest): string | undefined {
    const current = manifest.versions.find((v) => v.version === manifest.current);
    return current ? join(this.datasetDir(manifest.dataset), current.file) : undefined;
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
    const next: DatasetManifest = { ...manifest, formatVersion: DATASET_FORMAT_VERSION, current: input.version, versions };
    await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(next, null, 2) + '\n');
    const kept = new Set(versions.map((v) => v.file));
    for (const old of manifest.versions) if (!kept.has(old.file)) await rm(join(dir, old.file), { force: true });
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
