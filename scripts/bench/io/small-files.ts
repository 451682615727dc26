/**
 * Scenario: 1,000 files of 80 bytes (Vitally's 1,000-file cap) into one CSV, with the built CLI as a
 * child process (`ferry plan`, then `ferry apply` on fresh state), against s3rver. References, in the
 * same run and interleaved with ferry: the AWS SDK alone GETting the same objects (16 in flight, into
 * memory), the same in a fresh process with the listing (sdk-cold-get.mjs: what any plan built on the
 * SDK takes at least, since a plan is a new process whose GETs all run cold), and DuckDB reading the
 * same files from local disk in one read_csv (read_json). The files are CSV (a header and one row) or
 * NDJSON (one record), `format`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { startS3Server } from '../../../test/harness/s3-server.js';
import { runWithConcurrency } from '../../../test/harness/run-with-concurrency.js';
import type { BenchRow } from '../bench-row.js';
import { BENCH_FERRY_YAML, benchEnv } from '../ferry-project.js';
import { ferryCli } from './ferry-cli.js';
import { formatSeconds, interleave, median, roundRatio, runChecked } from './measure.js';

export interface SmallFilesOptions {
  /** Number of source files (default 1,000). */
  files?: number;
  /** The source files' format (default csv). */
  format?: SmallFileFormat;
  repeat: number;
  workDir: string;
}

const SOURCE_BUCKET = 'small-drops';
const SINK_BUCKET = 'small-exports';
const PREFIX = 'tracks/';
const SDK_CONCURRENCY = 16;
const TARGET_PLAN_S = 2;
const TARGET_APPLY_S = 5;
const SDK_COLD_GET = fileURLToPath(new URL('./sdk-cold-get.mjs', import.meta.url));
/** The figures before this work: CSV from the issue; NDJSON one by one (75 s / 72.5 s, loaded machine). */
const BEFORE: Record<SmallFileFormat, { plan: string; apply: string }> = {
  csv: { plan: '8.9 s', apply: '38 s (26 files/s)' },
  ndjson: { plan: '75 s (one by one)', apply: '72.5 s (14 files/s, one by one)' },
};

export type SmallFileFormat = 'csv' | 'ndjson';

/** An 80-byte file: a CSV header and one row, or one NDJSON record, padded to exactly 80 bytes. */
function fileBody(index: number, format: SmallFileFormat): Buffer {
  if (format === 'ndjson') {
    const head = `{"id":${index},"event":"signup","user_id":"u${index}","note":"`;
    return Buffer.from(`${head}${'x'.repeat(80 - head.length - 3)}"}\n`);
  }
  const head = `id,event,user_id,note\n${index},signup,u${index},`;
  return Buffer.from(`${head}${'x'.repeat(80 - head.length - 1)}\n`);
}

function fileName(index: number, format: SmallFileFormat): string {
  return `track_${String(index).padStart(5, '0')}.${format}`;
}

function keyOf(index: number, format: SmallFileFormat): string {
  return `${PREFIX}${fileName(index, format)}`;
}

const SOURCE_FORMATS: Record<SmallFileFormat, string> = {
  csv: `    kind: csv
    delimiter: ','
    header: true
    encoding: utf-8`,
  ndjson: `    kind: json
    layout: ndjson`,
};

function pipelineYaml(files: number, format: SmallFileFormat): string {
  return `name: small-files
description: Benchmark - many small ${format === 'csv' ? 'CSV' : 'NDJSON'} files into one CSV
source:
  kind: s3
  connection: bench
  bucket: ${SOURCE_BUCKET}
  prefix: ${PREFIX}
  match: '^track_\\d+\\.${format}$'
  pick: all-new
  order: key
  max_files: ${files}
  format:
${SOURCE_FORMATS[format]}
sink:
  kind: s3
  connection: bench
  bucket: ${SINK_BUCKET}
  directory: out/
  filename: 'tracks-{{run_id}}.csv'
  format:
    kind: csv
`;
}

async function seed(
  client: S3Client,
  files: number,
  localDir: string,
  format: SmallFileFormat,
): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const indexes = Array.from({ length: files }, (_, i) => i);
  await runWithConcurrency(indexes, 16, async (i) => {
    const body = fileBody(i, format);
    await client.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: keyOf(i, format), Body: body }));
    await writeFile(join(localDir, fileName(i, format)), body);
  });
}

async function sdkGetAll(client: S3Client, files: number, format: SmallFileFormat): Promise<void> {
  const indexes = Array.from({ length: files }, (_, i) => i);
  await runWithConcurrency(indexes, SDK_CONCURRENCY, async (i) => {
    const key = keyOf(i, format);
    const response = await client.send(new GetObjectCommand({ Bucket: SOURCE_BUCKET, Key: key }));
    const bytes = await response.Body?.transformToByteArray();
    if (bytes?.length !== 80) throw new Error(`GET ${key}: ${bytes?.length ?? 0} bytes`);
  });
}

async function duckDbReadAll(localDir: string, files: number, format: SmallFileFormat): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const glob = join(localDir, `*.${format}`).replaceAll("'", "''");
    const columns = `{'id': 'VARCHAR', 'event': 'VARCHAR', 'user_id': 'VARCHAR', 'note': 'VARCHAR'}`;
    const reader = await connection.runAndReadAll(
      format === 'csv'
        ? `SELECT count(*) FROM read_csv('${glob}', header = true, auto_detect = false, columns = ${columns})`
        : `SELECT count(*) FROM read_json('${glob}', format = 'newline_delimited', records = 'true', columns = ${columns})`,
    );
    const rows = Number(reader.getRows()[0]?.[0]);
    if (rows !== files) throw new Error(`DuckDB read ${rows} rows, expected ${files}`);
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
}

/** Runs the scenario; returns the plan and apply rows. */
export async function benchSmallFiles(options: SmallFilesOptions): Promise<BenchRow[]> {
  const files = options.files ?? 1000;
  const format = options.format ?? 'csv';
  const root = await mkdtemp(join(options.workDir, 'small-files-'));
  const server = await startS3Server();
  try {
    await server.createBucket(SOURCE_BUCKET);
    await server.createBucket(SINK_BUCKET);
    const localDir = join(root, 'local');
    await seed(server.client, files, localDir, format);
    const projectDir = join(root, 'project');
    await mkdir(join(projectDir, 'pipelines'), { recursive: true });
    await writeFile(join(projectDir, 'ferry.yaml'), BENCH_FERRY_YAML);
    await writeFile(join(projectDir, 'pipelines', 'small-files.yaml'), pipelineYaml(files, format));
    const env = { ...process.env, ...benchEnv(server.endpoint) };
    const cli = ferryCli();
    const freshState = () => rm(join(projectDir, 'state'), { recursive: true, force: true });
    const [planS, applyS, sdkS, coldS, duckS] = await interleave(options.repeat, [
      async () => {
        await freshState();
        const result = await runChecked(cli.command, [...cli.args, 'plan', '--format', 'json'], {
          cwd: projectDir,
          env,
        });
        checkCount(result.stdout, files, 'plan');
      },
      async () => {
        // State was left empty by the plan before (plan writes none): apply takes all files.
        const result = await runChecked(
          cli.command,
          [...cli.args, 'apply', '--format', 'json', '--log-format', 'none'],
          { cwd: projectDir, env },
        );
        checkCount(result.stdout, files, 'apply');
      },
      () => sdkGetAll(server.client, files, format),
      () =>
        runChecked(process.execPath, [SDK_COLD_GET, server.endpoint, SOURCE_BUCKET, PREFIX, String(files)], {
          cwd: cli.repo,
        }),
      () => duckDbReadAll(localDir, files, format),
    ]);
    const plan = median(planS ?? []);
    const apply = median(applyS ?? []);
    const sdk = median(sdkS ?? []);
    const duck = median(duckS ?? []);
    const cold = median(coldS ?? []);
    const rate = (s: number) => `${Math.round(files / s)} files/s`;
    const load = `load ${loadavg()[0]?.toFixed(1) ?? '?'} on this machine; medians of ${options.repeat}`;
    const reference = `SDK alone ${formatSeconds(sdk)} (${rate(sdk)}, ${SDK_CONCURRENCY} in flight); the same in a fresh process, with the listing ${formatSeconds(cold)}; DuckDB ${format === 'csv' ? 'read_csv' : 'read_json'} from disk ${formatSeconds(duck)}`;
    const planTarget = TARGET_PLAN_S * (files / 1000);
    // Why a plan over its target is: its floor (a new process that only lists and GETs) is over it.
    const floor =
      plan > planTarget && cold > planTarget
        ? `; out of reach with the AWS SDK here: a fresh process that only imports it, lists and GETs the files takes ${formatSeconds(cold)}; ferry's plan takes ${roundRatio(plan / cold)}× that`
        : `; ferry plan / the SDK in a fresh process ${roundRatio(plan / cold)}×`;
    const kind = format === 'csv' ? '' : ' NDJSON';
    const before = BEFORE[format];
    return [
      {
        work: `plan, ${files}${kind} files of 80 B`,
        before: before.plan,
        now: formatSeconds(plan),
        reference,
        ratio: roundRatio(plan / sdk),
        target: `≤ ${TARGET_PLAN_S} s`,
        met: plan <= planTarget,
        note: `ratio: ferry plan / SDK alone${floor}; ${load}`,
      },
      {
        work: `apply, ${files}${kind} files of 80 B → 1 CSV`,
        before: before.apply,
        now: `${formatSeconds(apply)} (${rate(apply)})`,
        reference,
        ratio: roundRatio(apply / sdk),
        target: `≤ ${TARGET_APPLY_S} s (≥ 200 files/s)`,
        met: apply <= TARGET_APPLY_S * (files / 1000),
        note: `ratio: ferry apply / SDK alone; ${load}`,
      },
    ];
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** The plan JSON must show every file selected (else the timing measured something else). */
function checkCount(stdout: string, files: number, what: string): void {
  const parsed = JSON.parse(stdout) as { pipelines?: Array<{ selection?: { selected?: unknown[] } }> };
  const selected = parsed.pipelines?.[0]?.selection?.selected?.length;
  if (selected !== files) throw new Error(`${what} selected ${String(selected)} files, expected ${files}`);
}
