/**
 * Whole-engine tests through the real S3 wire protocol: one s3rver per test file, and per test a temp
 * project directory (ferry.yaml + pipelines/*.yaml + state/) with its own source and sink buckets.
 * Runs go through loadProject + runProject (so a test can inject the clock) or through runCli.
 * Outputs are read back with the SDK; DuckDB reads them in a scratch session for exact rows.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import type { PipelinePlan, Plan } from '../../../engine/plan/plan-model.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { runProject, type RunProjectOptions } from '../../../engine/run/run-project.js';
import { queryFile as queryFileWith } from '../../harness/duckdb-files.js';
import { hashTree } from '../../harness/hash-tree.js';
import { runCliCaptured } from '../../harness/run-cli-captured.js';
import { getObject, listAll, type ObjectInfo } from '../../harness/s3-objects.js';
import { startMotoServer } from '../../harness/moto-server.js';
import { startS3Server, type S3TestServer } from '../../harness/s3-server.js';
import { uniqueBucket } from '../../harness/unique-bucket.js';

/** s3rver's fixed key pair, passed to ferry through `${env:…}` references. */
export const TEST_ENV: NodeJS.ProcessEnv = { FERRY_TEST_KEY: 'S3RVER', FERRY_TEST_SECRET: 'S3RVER' };

export interface EngineFixture {
  server: S3TestServer;
  client: S3Client;
  /** A new project dir with its own buckets; removed by `stop`. */
  createProject: (options?: CreateProjectOptions) => Promise<TestProject>;
  stop: () => Promise<void>;
}

export interface CreateProjectOptions {
  /** Endpoint of the sink connection `dst` (default: the s3rver endpoint; a fault proxy for fault tests). */
  sinkEndpoint?: string;
  /** Endpoint of the source connection `src` (default: the s3rver endpoint). */
  sourceEndpoint?: string;
  /** `defaults.timezone` of the project. */
  timezone?: string;
  /** Extra `max_attempts` for both connections (default 2: fault tests stay fast). */
  maxAttempts?: number;
}

export interface TestProject {
  dir: string;
  stateDir: string;
  sourceBucket: string;
  sinkBucket: string;
  /**
   * Writes pipelines/<name>.yaml. An object is completed with the defaults below and written as YAML
   * (source: kind s3, connection src, the source bucket; sink: kind s3, connection dst, the sink
   * bucket); a string is written as it is.
   */
  writePipeline: (name: string, spec: PipelineInput | string) => Promise<void>;
  /** Puts an object into the source bucket. */
  put: (key: string, body: string | Buffer) => Promise<void>;
  /** loadProject + runProject; fails the test on config problems. Returns the one pipeline's plan. */
  run: (mode: 'plan' | 'apply', options?: RunOptions) => Promise<PipelinePlan>;
  /** Every pipeline of the project, in name order. */
  runAll: (mode: 'plan' | 'apply', options?: RunOptions) => Promise<Plan>;
  /** The CLI in-process, output captured. */
  cli: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** Objects in the sink bucket (or another), sorted by key. */
  list: (bucket?: string) => Promise<ObjectInfo[]>;
  get: (key: string, bucket?: string) => Promise<Buffer>;
  /** Relative path → SHA-256 of every file under state/ (empty when there is none). */
  hashState: () => Promise<Record<string, string>>;
  /** Reads the pipeline's committed state.json (undefined before the first commit). */
  readState: (pipeline: string) => Promise<Record<string, unknown> | undefined>;
  /** Reads the pipeline's last-run.json (undefined before its first successful apply). */
  readLastRun: (pipeline: string) => Promise<Record<string, unknown> | undefined>;
}

export interface RunOptions {
  now?: Date;
  pipeline?: string;
  /** `--allow NAME…`: guards the run lets through. */
  allow?: readonly string[];
  /** Per-pipeline test hooks: an interleaving point after state is read, the lock's clock. */
  pipelineOptions?: RunProjectOptions['pipelineOptions'];
}

export interface PipelineInput {
  name: string;
  source: Record<string, unknown>;
  mapping?: Record<string, unknown>;
  diff?: boolean | Record<string, unknown>;
  sink: Record<string, unknown>;
}

export interface EngineFixtureOptions {
  /**
   * Where projects keep state: `local` (state/, the default) or `s3` — a bucket per project on moto,
   * which enforces conditional writes as AWS does (the sources and sinks stay on s3rver).
   */
  state?: 'local' | 's3';
}

/** Starts one s3rver for a test file (call in beforeAll; `stop` in afterAll). */
export async function startEngineFixture(fixtureOptions: EngineFixtureOptions = {}): Promise<EngineFixture> {
  const server = await startS3Server();
  const moto = fixtureOptions.state === 's3' ? await startMotoServer() : undefined;
  const dirs: string[] = [];
  const createProject = async (options: CreateProjectOptions = {}): Promise<TestProject> => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-engine-'));
    dirs.push(dir);
    await mkdir(join(dir, 'pipelines'));
    const sourceBucket = uniqueBucket('src');
    const sinkBucket = uniqueBucket('dst');
    await server.createBucket(sourceBucket);
    await server.createBucket(sinkBucket);
    const connection = (endpoint: string) => ({
      region: 'us-east-1',
      endpoint,
      force_path_style: true,
      auth: {
        kind: 'static',
        access_key_id: '${env:FERRY_TEST_KEY}',
        secret_access_key: '${env:FERRY_TEST_SECRET}',
      },
      timeouts: { connect_ms: 2000, request_ms: 10000, body_idle_ms: 5000 },
      max_attempts: options.maxAttempts ?? 2,
    });
    const stateBucket = moto ? uniqueBucket('state') : undefined;
    if (moto && stateBucket) await moto.createBucket(stateBucket);
    const projectSpec = {
      version: 1,
      connections: {
        src: connection(options.sourceEndpoint ?? server.endpoint),
        dst: connection(options.sinkEndpoint ?? server.endpoint),
        ...(moto ? { state: connection(moto.endpoint) } : {}),
      },
      state: stateBucket
        ? { kind: 's3', connection: 'state', bucket: stateBucket, prefix: 'ferry/' }
        : { kind: 'local', directory: 'state' },
      ...(options.timezone ? { defaults: { timezone: options.timezone } } : {}),
    };
    await writeFile(join(dir, 'ferry.yaml'), stringify(projectSpec));
    const stateDir = join(dir, 'state');

    const load = () => {
      const loaded = loadProject({ cwd: dir, env: TEST_ENV });
      const errors = loaded.problems.filter((p) => p.severity === 'error');
      if (errors.length || !loaded.project) {
        throw new Error(`config problems: ${JSON.stringify(errors, null, 2)}`);
      }
      return { project: loaded.project, pipelines: loaded.pipelines };
    };

    const runAll = async (mode: 'plan' | 'apply', runOptions: RunOptions = {}) => {
      const { project, pipelines } = load();
      return await runProject({
        project,
        pipelines,
        mode,
        env: TEST_ENV,
        ...(runOptions.now ? { now: runOptions.now } : {}),
        ...(runOptions.pipeline ? { only: [runOptions.pipeline] } : {}),
        ...(runOptions.allow ? { allow: new Set(runOptions.allow) } : {}),
        ...(runOptions.pipelineOptions ? { pipelineOptions: runOptions.pipelineOptions } : {}),
      });
    };

    const readStateJson = async (key: string): Promise<Record<string, unknown> | undefined> => {
      try {
        const text =
          moto && stateBucket
            ? (await getObject(moto.client, stateBucket, `ferry/${key}`)).toString('utf8')
            : await readFile(join(stateDir, key), 'utf8');
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };

    return {
      dir,
      stateDir,
      sourceBucket,
      sinkBucket,
      writePipeline: async (name, spec) => {
        const text =
          typeof spec === 'string'
            ? spec
            : stringify({
                ...spec,
                source: { kind: 's3', connection: 'src', bucket: sourceBucket, ...spec.source },
                sink: { kind: 's3', connection: 'dst', bucket: sinkBucket, ...spec.sink },
              });
        await writeFile(join(dir, 'pipelines', `${name}.yaml`), text);
      },
      put: async (key, body) => {
        await server.client.send(new PutObjectCommand({ Bucket: sourceBucket, Key: key, Body: body }));
      },
      runAll,
      run: async (mode, runOptions = {}) => {
        const plan = await runAll(mode, runOptions);
        const [first] = plan.pipelines;
        if (!first || plan.pipelines.length !== 1) {
          throw new Error(`expected one pipeline in the plan, got ${plan.pipelines.length}`);
        }
        return first;
      },
      cli: async (args) => {
        const { code, stdout, stderr } = await runCliCaptured(args, { cwd: dir, env: TEST_ENV });
        return { code, stdout, stderr };
      },
      list: (bucket = sinkBucket) => listAll(server.client, bucket),
      get: (key, bucket = sinkBucket) => getObject(server.client, bucket, key),
      hashState: () =>
        moto && stateBucket ? hashBucket(moto.client, stateBucket, 'ferry/') : hashTree(stateDir),
      readState: (pipeline) => readStateJson(`pipelines/${pipeline}/state.json`),
      readLastRun: (pipeline) => readStateJson(`pipelines/${pipeline}/last-run.json`),
    };
  };
  return {
    server,
    client: server.client,
    createProject,
    stop: async () => {
      await Promise.all([server.stop(), moto?.stop()]);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/**
 * The S3 state of a project as key → SHA-256, like hashTree for a state directory. `backend.json`
 * (what the last probe of the endpoint found, rewritten by each run) is not pipeline state.
 */
async function hashBucket(client: S3Client, bucket: string, prefix: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const { key } of await listAll(client, bucket)) {
    if (!key.startsWith(prefix) || key === `${prefix}backend.json`) continue;
    result[key.slice(prefix.length)] = createHash('sha256')
      .update(await getObject(client, bucket, key))
      .digest('hex');
  }
  return result;
}

/**
 * Reads bytes with DuckDB in a scratch sandboxed session: `reader` is a table function call with
 * `$path` where the file goes, e.g. `read_csv($path, all_varchar=true)`. Rows as objects, in file order.
 */
export function queryFile(
  bytes: Buffer,
  fileName: string,
  reader: string,
): Promise<Array<Record<string, unknown>>> {
  return queryFileWith(bytes, fileName, `SELECT * FROM ${reader}`);
}

/** Counts in one object, for one `toEqual` per run. */
export function countsOf(plan: PipelinePlan): PipelinePlan['counts'] {
  return { ...plan.counts };
}

/** A fixed instant. */
export function at(iso: string): Date {
  return new Date(iso);
}
