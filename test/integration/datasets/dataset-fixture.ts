/**
 * Dataset tests through the real S3 wire protocol: one s3rver per test file and, per test, a temp
 * project (ferry.yaml with datasets and segments, pipelines/*.yaml, state/) with its own source,
 * sink and rejects buckets. Import pipelines read the source bucket into a dataset; export pipelines
 * read datasets into the sink bucket. Runs go through loadProject + runProject (the clock injected)
 * or runCli; dataset contents are read from the current version's Parquet in a scratch DuckDB.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import type { DuckDbRow } from '../../../engine/duckdb/create-duckdb-session.js';
import type { PipelinePlan, Plan } from '../../../engine/plan/plan-model.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { runProject } from '../../../engine/run/run-project.js';
import type { DatasetManifest } from '../../../engine/state/dataset-store.js';
import { currentVersionPath, openLocalState } from '../../harness/local-state.js';
import { queryFile } from '../../harness/duckdb-files.js';
import { hashTree } from '../../harness/hash-tree.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { getObject, listAll } from '../../harness/s3-objects.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

/** s3rver's fixed key pair, passed to ferry through `${env:…}` references. */
export const TEST_ENV: NodeJS.ProcessEnv = { FERRY_TEST_KEY: 'S3RVER', FERRY_TEST_SECRET: 'S3RVER' };

export interface DatasetFixture {
  server: S3TestServer;
  createProject: (options: DatasetProjectOptions) => Promise<DatasetProject>;
  stop: () => Promise<void>;
}

export interface DatasetProjectOptions {
  /** `datasets:` of ferry.yaml, as written in YAML (snake_case keys). */
  datasets: Record<string, Record<string, unknown>>;
  segments?: Record<string, Record<string, unknown>>;
  /**
   * Runs past the database-file threshold (a database file, the merge by digests): limits.memory of 8
   * bytes puts every input over four times it (choose-duckdb-storage.ts); DuckDB itself keeps 256MB.
   */
  largeRun?: boolean;
}

export interface ImportSpec {
  /** Source folder in the source bucket (default `in/<name>/`). */
  prefix?: string;
  /** Source format (default csv). */
  format?: Record<string, unknown>;
  mapping?: Record<string, unknown>;
  dataset: string;
  mode: 'upsert' | 'update' | 'insert' | 'append' | 'mirror';
  /** Write rows that cannot be applied to the rejects bucket under this directory. */
  rejectsDirectory?: string;
  /** Default all-new: every new file is read, in key order. */
  pick?: 'newest' | 'all-new';
}

export interface ExportSpec {
  /** `source:` without `kind` (dataset, datasets, segment, where, since_last_run, limit, fields). */
  source: Record<string, unknown>;
  /** `sink:` without kind, connection and bucket; default directory `out/<name>/`, filename `<name>`. */
  sink: Record<string, unknown>;
  mapping?: Record<string, unknown>;
}

export interface DatasetProject {
  dir: string;
  stateDir: string;
  sourceBucket: string;
  sinkBucket: string;
  rejectsBucket: string;
  writeImport: (name: string, spec: ImportSpec) => Promise<void>;
  writeExport: (name: string, spec: ExportSpec) => Promise<void>;
  /** Puts an object into the source bucket. */
  put: (key: string, body: string | Buffer) => Promise<void>;
  /** plan or apply of one pipeline at a fixed clock; returns its plan. */
  run: (mode: 'plan' | 'apply', pipeline: string, now: Date) => Promise<PipelinePlan>;
  runAll: (mode: 'plan' | 'apply', now: Date) => Promise<Plan>;
  cli: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** Object keys in a bucket (default: the sink bucket), sorted. */
  list: (bucket?: string) => Promise<string[]>;
  get: (key: string, bucket?: string) => Promise<Buffer>;
  /** Relative path → SHA-256 of every file under state/. */
  hashState: () => Promise<Record<string, string>>;
  manifest: (dataset: string) => Promise<DatasetManifest>;
  /** The pipeline's committed state.json (undefined before the first commit). */
  readState: (pipeline: string) => Promise<Record<string, unknown> | undefined>;
  /**
   * The current version's rows in key order, as `SELECT <select> FROM dataset ORDER BY <orderBy>`
   * (default: every column but the internal ones, ordered by the first column).
   */
  readDataset: (dataset: string, options?: { select?: string; orderBy?: string }) => Promise<DuckDbRow[]>;
}

/** Starts one s3rver for a test file (beforeAll; `stop` in afterAll). */
export async function startDatasetFixture(): Promise<DatasetFixture> {
  const server = await startS3Server();
  const dirs: string[] = [];
  const createProject = async (options: DatasetProjectOptions): Promise<DatasetProject> => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-datasets-'));
    dirs.push(dir);
    await mkdir(join(dir, 'pipelines'));
    const sourceBucket = uniqueBucket('src');
    const sinkBucket = uniqueBucket('dst');
    const rejectsBucket = uniqueBucket('rej');
    for (const bucket of [sourceBucket, sinkBucket, rejectsBucket]) await server.createBucket(bucket);
    const projectSpec = {
      version: 1,
      connections: {
        s3: {
          region: 'us-east-1',
          endpoint: server.endpoint,
          force_path_style: true,
          auth: {
            kind: 'static',
            access_key_id: '${env:FERRY_TEST_KEY}',
            secret_access_key: '${env:FERRY_TEST_SECRET}',
          },
          timeouts: { connect_ms: 2000, request_ms: 10000, body_idle_ms: 5000 },
          max_attempts: 1,
        },
      },
      state: { kind: 'local', directory: 'state' },
      datasets: options.datasets,
      ...(options.segments ? { segments: options.segments } : {}),
      ...(options.largeRun ? { limits: { memory: 8 } } : {}),
    };
    await writeFile(join(dir, 'ferry.yaml'), stringify(projectSpec));
    const stateDir = join(dir, 'state');
    const writePipeline = (name: string, spec: Record<string, unknown>) =>
      writeFile(join(dir, 'pipelines', `${name}.yaml`), stringify({ name, ...spec }));

    const runAll = async (mode: 'plan' | 'apply', now: Date, only?: string): Promise<Plan> => {
      const loaded = loadProject({ cwd: dir, env: TEST_ENV });
      const errors = loaded.problems.filter((p) => p.severity === 'error');
      if (errors.length || !loaded.project) {
        throw new Error(`config problems: ${JSON.stringify(errors, null, 2)}`);
      }
      return await runProject({
        project: loaded.project,
        pipelines: loaded.pipelines,
        mode,
        env: TEST_ENV,
        now,
        ...(only ? { only: [only] } : {}),
        ...(options.largeRun ? { pipelineOptions: { memoryLimit: '256MB' } } : {}),
      });
    };
    const store = openLocalState(stateDir).datasets;

    return {
      dir,
      stateDir,
      sourceBucket,
      sinkBucket,
      rejectsBucket,
      writeImport: (name, spec) =>
        writePipeline(name, {
          source: {
            kind: 's3',
            connection: 's3',
            bucket: sourceBucket,
            prefix: spec.prefix ?? `in/${name}/`,
            pick: spec.pick ?? 'all-new',
            order: 'key',
            format: spec.format ?? { kind: 'csv' },
          },
          ...(spec.mapping ? { mapping: spec.mapping } : {}),
          sink: {
            kind: 'dataset',
            dataset: spec.dataset,
            mode: spec.mode,
            ...(spec.rejectsDirectory !== undefined
              ? { rejects: { connection: 's3', bucket: rejectsBucket, directory: spec.rejectsDirectory } }
              : {}),
          },
        }),
      writeExport: (name, spec) =>
        writePipeline(name, {
          source: { kind: 'dataset', ...spec.source },
          ...(spec.mapping ? { mapping: spec.mapping } : {}),
          sink: {
            kind: 's3',
            connection: 's3',
            bucket: sinkBucket,
            directory: `out/${name}/`,
            filename: name,
            ...spec.sink,
          },
        }),
      put: async (key, body) => {
        await server.client.send(new PutObjectCommand({ Bucket: sourceBucket, Key: key, Body: body }));
      },
      run: async (mode, pipeline, now) => {
        const plan = await runAll(mode, now, pipeline);
        const [first] = plan.pipelines;
        if (!first || plan.pipelines.length !== 1) throw new Error('expected exactly one pipeline plan');
        return first;
      },
      runAll: (mode, now) => runAll(mode, now),
      cli: async (args) => {
        const { code, stdout, stderr } = await runCliCaptured(args, { cwd: dir, env: TEST_ENV });
        return { code, stdout, stderr };
      },
      list: async (bucket = sinkBucket) => (await listAll(server.client, bucket)).map((o) => o.key),
      get: (key, bucket = sinkBucket) => getObject(server.client, bucket, key),
      hashState: () => hashTree(stateDir),
      manifest: (dataset) => store.readManifest(dataset),
      readState: async (pipeline) => {
        const path = join(stateDir, 'pipelines', pipeline, 'state.json');
        return existsSync(path)
          ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>)
          : undefined;
      },
      readDataset: async (dataset, readOptions = {}) => {
        const manifest = await store.readManifest(dataset);
        const file = currentVersionPath(stateDir, manifest);
        if (!file) return [];
        return await queryFile(
          await readFile(file),
          'dataset.parquet',
          `SELECT ${readOptions.select ?? '* EXCLUDE (_ferry_version, _ferry_created_at, _ferry_updated_at, _ferry_hash)'} FROM read_parquet($path) ORDER BY ${readOptions.orderBy ?? '1'}`,
        );
      },
    };
  };
  return {
    server,
    createProject,
    stop: async () => {
      await server.stop();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** The effect counts of a dataset plan, for one `toEqual`. */
export function effectCounts(plan: PipelinePlan): Record<string, number> {
  const d = plan.dataset;
  if (!d) throw new Error(`pipeline ${plan.pipeline} has no dataset effect (status ${plan.status})`);
  return {
    created: d.created,
    updated: d.updated,
    unchanged: d.unchanged,
    skipped: d.skipped,
    unmatched: d.unmatched,
    deleted: d.deleted,
    rows: d.rows,
  };
}

/** A fixed instant. */
export function at(iso: string): Date {
  return new Date(iso);
}
