/**
 * The benchmark's ferry project: one pipeline that takes the newest accounts CSV from s3rver, renames
 * one column and casts another, diffs by id against the previous snapshot and writes the added and
 * changed rows as one CSV. `applyOnce` runs `apply` the way the CLI does (loadProject + runProject)
 * and fails loudly if the pipeline did not succeed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelinePlan } from '../../engine/plan/plan-model.js';
import { loadProject } from '../../engine/project/load-project.js';
import { runProject } from '../../engine/run/run-project.js';

export const SOURCE_BUCKET = 'vendor-drops';
export const SINK_BUCKET = 'ferry-exports';
export const SOURCE_PREFIX = 'accounts/';
export const PIPELINE_NAME = 'bench-accounts';

/** The mapping, shared with the raw DuckDB baseline so both do the same work. */
export const RENAME = { from: 'signed_up', to: 'signed_up_on' } as const;
export const CAST = { column: 'mrr', type: 'DECIMAL(12,2)' } as const;
export const DIFF_KEY = 'id';

/** The bench project's ferry.yaml: one connection to s3rver by reference (benchEnv), local state. */
export const BENCH_FERRY_YAML = `version: 1
connections:
  bench:
    region: us-east-1
    endpoint: \${env:FERRY_BENCH_ENDPOINT}
    force_path_style: true
    checksum: when_required
    auth:
      kind: static
      access_key_id: \${env:FERRY_BENCH_ACCESS_KEY_ID}
      secret_access_key: \${env:FERRY_BENCH_SECRET_ACCESS_KEY}
state:
  kind: local
  directory: state
pipelines:
  - pipelines/*.yaml
`;

const PIPELINE_YAML = `name: ${PIPELINE_NAME}
description: Benchmark - newest accounts snapshot, diffed by id, added/changed rows as CSV
source:
  kind: s3
  connection: bench
  bucket: ${SOURCE_BUCKET}
  prefix: ${SOURCE_PREFIX}
  match: '^accounts_(?P<timestamp>\\d{8})\\.csv$'
  timestamp_format: YYYYMMDD
  pick: newest
  order: timestamp
  format:
    kind: csv
    delimiter: ','
    header: true
    encoding: utf-8
    max_rejects: 0
mapping:
  rename:
    ${RENAME.from}: ${RENAME.to}
  cast:
    ${CAST.column}: '${CAST.type}'
diff:
  key: [${DIFF_KEY}]
sink:
  kind: s3
  connection: bench
  bucket: ${SINK_BUCKET}
  directory: accounts/
  filename: 'accounts-changed-{{timestamp}}.csv'
  timestamp_format: YYYYMMDD
  format:
    kind: csv
    headers: true
`;

/** The bench's dataset, declared in ferry.yaml for the dataset variant of the project. */
export const BENCH_DATASET = 'accounts';

/**
 * The same source and mapping, upserted by id into a dataset (created by the first run, updated by
 * the next): what the dataset upsert costs in memory, beside the diff.
 */
const DATASET_PIPELINE_YAML = PIPELINE_YAML.replace(
  /\ndiff:\n[\s\S]*$/,
  `
sink:
  kind: dataset
  dataset: ${BENCH_DATASET}
  mode: upsert
`,
).replace('diffed by id, added/changed rows as CSV', 'upserted by id into a dataset');

/** Request and body-idle timeout against s3rver for objects of many GB (see writeBenchProject). */
export const SLOW_SERVER_TIMEOUT_MS = 60 * 60_000;

/** Options of writeBenchProject for runs of many GB against s3rver (the memory scenario at 100M rows). */
export interface LargeRunOptions {
  /**
   * The connection waits up to an hour for a response: s3rver answers a CompleteMultipartUpload only
   * after copying the parts into the object (minutes for 11 GB).
   */
  slowServer?: boolean;
  /** limits.temp_disk_bytes, e.g. "48GiB": what DuckDB may spill (20 GiB by default). */
  tempDiskBytes?: string;
  /** sink.compress: the output on s3rver and in ferry's temp dir takes a fifth of the room. */
  compressSink?: 'zstd';
  /** limits.memory, e.g. "1GiB" (ferry's default, 640MiB, when absent). */
  memory?: string;
  /**
   * `dataset`: the same source and mapping upserted by id into a dataset in the local state
   * (DATASET_PIPELINE_YAML) instead of diffed into a CSV.
   */
  sink?: 'csv' | 'dataset';
  /** The dataset sink's mode (upsert when absent); `mirror` also deletes the keys a day drops. */
  datasetMode?: 'upsert' | 'mirror';
  /**
   * One more entry of the dataset pipeline's mapping, as YAML (`exclude: [last_login]`: a run that
   * writes some of the version's columns; `compute: {band: "…"}`: one that adds a column).
   */
  mappingEntry?: string;
}

export async function writeBenchProject(directory: string, options: LargeRunOptions = {}): Promise<void> {
  await mkdir(join(directory, 'pipelines'), { recursive: true });
  await mkdir(join(directory, 'state'), { recursive: true });
  let ferryYaml = BENCH_FERRY_YAML;
  if (options.slowServer === true) {
    const timeouts = `    timeouts: {request_ms: ${SLOW_SERVER_TIMEOUT_MS}, body_idle_ms: ${SLOW_SERVER_TIMEOUT_MS}}\n`;
    ferryYaml = ferryYaml.replace(
      '    checksum: when_required\n',
      `    checksum: when_required\n${timeouts}`,
    );
  }
  const limits = [
    ...(options.tempDiskBytes === undefined ? [] : [`  temp_disk_bytes: ${options.tempDiskBytes}\n`]),
    ...(options.memory === undefined ? [] : [`  memory: ${options.memory}\n`]),
  ];
  if (limits.length > 0) ferryYaml = ferryYaml.replace('state:\n', `limits:\n${limits.join('')}state:\n`);
  if (options.sink === 'dataset') {
    if (options.compressSink !== undefined) throw new Error('a dataset sink is not compressed');
    if (!DATASET_PIPELINE_YAML.includes('kind: dataset'))
      throw new Error('the diff and sink were not replaced');
    ferryYaml = ferryYaml.replace(
      'pipelines:\n',
      `datasets:\n  ${BENCH_DATASET}: {kind: entity, key: [${DIFF_KEY}]}\npipelines:\n`,
    );
    await writeFile(join(directory, 'ferry.yaml'), ferryYaml);
    const mode = options.datasetMode ?? 'upsert';
    const entry = options.mappingEntry === undefined ? '' : `  ${options.mappingEntry}\n`;
    await writeFile(
      join(directory, 'pipelines', `${PIPELINE_NAME}.yaml`),
      DATASET_PIPELINE_YAML.replace('  mode: upsert\n', `  mode: ${mode}\n`).replace(
        'mapping:\n',
        `mapping:\n${entry}`,
      ),
    );
    return;
  }
  await writeFile(join(directory, 'ferry.yaml'), ferryYaml);
  const pipelineYaml =
    options.compressSink === undefined
      ? PIPELINE_YAML
      : PIPELINE_YAML.replace(
          '  timestamp_format: YYYYMMDD\n  format:\n    kind: csv\n    headers: true\n',
          `  timestamp_format: YYYYMMDD\n  compress: ${options.compressSink}\n  format:\n    kind: csv\n    headers: true\n`,
        );
  if (pipelineYaml === PIPELINE_YAML && options.compressSink !== undefined) throw new Error('sink not found');
  await writeFile(join(directory, 'pipelines', `${PIPELINE_NAME}.yaml`), pipelineYaml);
}

export function benchEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    FERRY_BENCH_ENDPOINT: endpoint,
    FERRY_BENCH_ACCESS_KEY_ID: 'S3RVER',
    FERRY_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
  };
}

/** `ferry apply` on the bench project; returns the pipeline's plan. Throws unless it succeeded. */
export async function applyOnce(options: {
  projectDir: string;
  env: NodeJS.ProcessEnv;
  now: Date;
  tempRoot: string;
}): Promise<PipelinePlan> {
  const loaded = loadProject({ cwd: options.projectDir, env: options.env });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (loaded.project === undefined || errors.length > 0) {
    throw new Error(
      `The bench project does not load: ${errors.map((p) => `${p.code}: ${p.message}`).join('; ')}`,
    );
  }
  const plan = await runProject({
    project: loaded.project,
    pipelines: loaded.pipelines,
    mode: 'apply',
    env: options.env,
    now: options.now,
    tempRoot: options.tempRoot,
  });
  const result = plan.pipelines.find((p) => p.pipeline === PIPELINE_NAME);
  if (result === undefined) throw new Error(`apply did not run ${PIPELINE_NAME}`);
  if (result.status === 'error') {
    throw new Error(`apply failed: ${result.error?.code ?? '?'}: ${result.error?.message ?? ''}`);
  }
  return result;
}
