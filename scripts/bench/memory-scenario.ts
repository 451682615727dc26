/**
 * Peak memory of ferry alone: `ferry apply` of day 1 (every row new) and day 2 (the diff) of the
 * bench's accounts files (`memory`), or the same two days upserted into a dataset (`memory-dataset`),
 * each run as its own process, its peak RSS read from the kernel
 * (`process.resourceUsage().maxRSS`, written at exit by report-rusage.mjs). The diff scenario's RSS
 * figures are the bench process's, which also holds s3rver's buffers and whatever an earlier phase
 * left mapped; these are the figures the issue's budget is about (≤ 1.5 GB at 10M rows, ≤ 2 GB at
 * 100M). No reference side: this is a budget, not a ratio. Uses the built CLI (dist/, `npm run build`).
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client } from '../../engine/io/s3/create-s3-client.js';
import { startS3Server } from '../../test/harness/s3-server.js';
import { createTestConnection } from '../../test/harness/test-connection.js';
import type { BenchContext } from './bench-context.js';
import type { BenchRow } from './bench-row.js';
import { removeObjects } from './bench-s3.js';
import { streamBenchDay } from './generate-data.js';
import {
  benchEnv,
  SINK_BUCKET,
  SLOW_SERVER_TIMEOUT_MS,
  SOURCE_BUCKET,
  SOURCE_PREFIX,
  writeBenchProject,
} from './ferry-project.js';
import { MEMORY_LIMIT } from './raw-duckdb.js';
import { integer, megabytes } from './report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PRELOAD = join(REPO, 'scripts', 'bench', 'report-rusage.mjs');
const FERRY = join(REPO, 'bin', 'ferry.js');
/** limits.temp_disk_bytes for runs past 10M rows. */
const LARGE_RUN_TEMP_DISK = '40GiB';

export interface ChildUsage {
  seconds: number;
  cpuSeconds: number;
  peakRss: number;
}

/** Runs `ferry ARGS` in `cwd` as a child process; throws unless it exits 0. */
export async function runFerryChild(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile?: string,
): Promise<ChildUsage> {
  const usageFile = join(cwd, `rusage-${process.pid}-${Date.now()}.json`);
  const start = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, FERRY, ...args], {
      cwd,
      env: { ...process.env, ...env, CI: 'true', FERRY_BENCH_RUSAGE_FILE: usageFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      if (logFile !== undefined) appendFileSync(logFile, chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${String(code)}: ${stderr}`);
  const usage = JSON.parse(await readFile(usageFile, 'utf8')) as NodeJS.ResourceUsage;
  await rm(usageFile, { force: true });
  return {
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRss: usage.maxRSS * 1024,
  };
}

/**
 * Puts one generated day on s3rver straight from the generator, multipart: at 100M rows the two
 * local 11 GB day files beside s3rver's copy, ferry's download, its output and s3rver's copy of that
 * would not fit on the disk, so this scenario keeps no local copy.
 */
async function uploadGeneratedDay(
  client: S3Client,
  key: string,
  options: { day: 1 | 2; rows: number; seed: number },
): Promise<void> {
  const upload = new Upload({
    client,
    params: { Bucket: SOURCE_BUCKET, Key: key, Body: streamBenchDay(options), ContentType: 'text/csv' },
    partSize: 64 * 1024 * 1024,
    queueSize: 2,
  });
  await upload.done();
}

/** What the memory scenario runs: the diff into a CSV (`memory`), or the upsert into a dataset (`memory-dataset`). */
export type MemoryRun = 'diff' | 'dataset';

export async function benchMemory(context: BenchContext, run: MemoryRun): Promise<BenchRow[]> {
  const root = join(context.root, `memory-${run}`);
  const projectDir = join(root, 'project');
  const budget = context.options.rows > 10_000_000 ? 2 * 1024 ** 3 : 1.5 * 1024 ** 3;
  const server = await startS3Server();
  // s3rver answers CompleteMultipartUpload only once it has copied every part into the object: for
  // an 11 GB object (a 100M-row day, or ferry's day-1 output) that is longer than a request may take
  // by default, on the generator's side (this client) and on ferry's (slowServer below).
  const client = createS3Client(
    createTestConnection({
      endpoint: server.endpoint,
      requestTimeoutMs: SLOW_SERVER_TIMEOUT_MS,
      bodyIdleTimeoutMs: SLOW_SERVER_TIMEOUT_MS,
    }),
  );
  try {
    await server.createBucket(SOURCE_BUCKET);
    await server.createBucket(SINK_BUCKET);
    // Past 10M rows (the 100M run: 11 GB a day) the run spills more than the default 20 GiB
    // temp_disk_bytes (day 1 failed with RUN_TEMP_DISK_EXCEEDED at 100M), and a CSV output is written
    // zstd-compressed so that s3rver's copies, ferry's download, its spill and its output fit on the
    // bench disk together. The work measured is otherwise the same.
    const large = context.options.rows > 10_000_000;
    // FERRY_BENCH_MEMORY=SIZE sets limits.memory (DuckDB's memory_limit) instead of ferry's default.
    const memory = process.env['FERRY_BENCH_MEMORY'];
    // FERRY_BENCH_DATASET_MODE=mirror: memory-dataset mirrors the days into the dataset (day 2 then
    // deletes the keys it dropped) instead of upserting them.
    const datasetMode = process.env['FERRY_BENCH_DATASET_MODE'] === 'mirror' ? 'mirror' : 'upsert';
    // FERRY_BENCH_DATASET_DAY2_MAPPING=YAML: one more mapping entry for memory-dataset's day 2, e.g.
    // `exclude: [last_login]` (it writes some of the version's columns) or `compute: {band: "…"}` (it
    // adds one): the merges a large run takes when its columns are not the version's.
    const day2Mapping = run === 'dataset' ? process.env['FERRY_BENCH_DATASET_DAY2_MAPPING'] : undefined;
    const project = (mappingEntry?: string) =>
      writeBenchProject(projectDir, {
        slowServer: true,
        ...(large ? { tempDiskBytes: LARGE_RUN_TEMP_DISK } : {}),
        ...(large && run === 'diff' ? { compressSink: 'zstd' as const } : {}),
        ...(run === 'dataset' ? { sink: 'dataset' as const, datasetMode } : {}),
        ...(memory === undefined ? {} : { memory }),
        ...(mappingEntry === undefined ? {} : { mappingEntry }),
      });
    await project();
    const env = benchEnv(server.endpoint);
    const rows: BenchRow[] = [];
    for (const [day, dayNumber, date] of [
      ['day 1 (every row new)', 1, '20240501'],
      ['day 2 (the diff)', 2, '20240502'],
    ] as const) {
      // The sink's file name is stamped with the run's day, the same for both runs here: ferry refuses
      // to overwrite another run's output, so the first run's output goes first. Day 2 is diffed
      // against the snapshot in ferry's state, so day 1's source goes too (disk, at 100M rows).
      if (dayNumber === 2 && day2Mapping !== undefined) await project(day2Mapping);
      await removeObjects(server.client, SINK_BUCKET);
      await removeObjects(server.client, SOURCE_BUCKET);
      context.log(`memory: generating ${day} into s3rver`);
      await uploadGeneratedDay(client, `${SOURCE_PREFIX}accounts_${date}.csv`, {
        day: dayNumber,
        rows: context.options.rows,
        seed: context.options.seed,
      });
      const what = run === 'diff' ? day : `${day.replace(' (the diff)', '')}, ${datasetMode} into a dataset`;
      context.log(`memory: ferry apply, ${what}, in its own process`);
      // FERRY_BENCH_LOG=FILE: the run's JSON log (one line per step, with its time) is appended there.
      const log = process.env['FERRY_BENCH_LOG'];
      const logArgs = log === undefined ? ['--log-format', 'none'] : ['--log-format', 'json'];
      const usage = await runFerryChild(projectDir, ['apply', ...logArgs], env, log);
      rows.push({
        work: `peak RSS of a ferry apply process, ${what}, ${integer(context.options.rows)} rows`,
        before:
          context.options.rows === 10_000_000 && run === 'diff' && dayNumber === 1
            ? '1.63 GB (the issue)'
            : '-',
        now: `${megabytes(usage.peakRss)}, ${usage.seconds.toFixed(2)} s, CPU ${usage.cpuSeconds.toFixed(2)} s`,
        reference: 'budget',
        target: `≤ ${budget / 1024 ** 3} GB`,
        met: usage.peakRss <= budget,
        note:
          `the process alone (kernel maxRSS); ${memory === undefined ? `ferry's default limits.memory (DuckDB memory_limit ${MEMORY_LIMIT})` : `limits.memory ${memory}`}, spills to the run temp dir` +
          (large ? `; temp_disk_bytes ${LARGE_RUN_TEMP_DISK}${run === 'diff' ? ', output zstd' : ''}` : '') +
          (run === 'dataset' ? `; mode: ${datasetMode} into a dataset in the local state` : '') +
          (dayNumber === 2 && day2Mapping !== undefined ? `; day 2's mapping adds ${day2Mapping}` : ''),
      });
    }
    return rows;
  } finally {
    client.destroy();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}
