/**
 * The datasets scenario: a 1-million-row upsert into a 1-million-row dataset. ferry applies day 1
 * into a dataset (not timed), then day 2 with `mode: upsert` (timed, through s3rver). Plain DuckDB
 * does the same merge (runRawUpsert in raw-duckdb.ts): day 2 read with the same rename and cast,
 * matched by key against the very version ferry's day 1 wrote, changed told from unchanged by the row
 * hash, created_at kept, updated_at and the version stamped on changed rows, the next version written
 * as Parquet.
 *
 *   engine part  ferry's apply without its prepare, fetch, upload and commit phases (breakdown.ts:
 *                from its first load statement to its last statement; the CSV line-length pass in
 *                Node falls before it, as in the diff scenario) vs the raw merge on the downloaded file.
 *   end to end   the whole apply vs GetObject of day 2 to a file + the raw merge, which reads the
 *                previous version from its dataset directory and writes the next one there (ferry's
 *                commit copies its new version into the state directory).
 * The sides run interleaved, `repeat` times each; medians are reported. Every run must find the
 * generator's counts, and ferry's new version must hold the same rows as the raw one, or the bench fails.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PipelinePlan } from '../../engine/plan/plan-model.js';
import { loadProject } from '../../engine/project/load-project.js';
import { runProject } from '../../engine/run/run-project.js';
import { uploadFile } from '../../engine/io/s3/upload-file.js';
import { startS3Server } from '../../test/harness/s3-server.js';
import { downloadPlain } from './bench-s3.js';
import { CAST, RENAME, benchEnv } from './ferry-project.js';
import { countDifferentRows, runRawUpsert } from './raw-duckdb.js';
import type { Breakdown } from './breakdown.js';
import { measureProfiledApply } from './profile-apply.js';
import { slowestStatements } from './slowest-statements.js';
import { explainUpsertGap } from './explain-diff-gap.js';
import type { BenchContext } from './bench-context.js';
import { ratioRow, type BenchRow } from './bench-row.js';
import { rowsLabel } from './diff-scenario.js';
import { measure, measureSide, summarize, type Measured, type Summary } from './measure.js';

const KEY = 'id';
const BUCKET = 'upsert-drops';
const DAY1_KEY = 'accounts/accounts_1.csv';
const DAY2_KEY = 'accounts/accounts_2.csv';
const DAY1 = new Date('2024-05-01T06:00:00Z');
const DAY2 = new Date('2024-05-02T06:00:00Z');

/** The figures before this row was split into engine part and end to end (medians of 3, idle machine). */
const BEFORE: Record<number, string> = {
  1_000_000: 'end to end 5.69 s, CPU 9.86 s: 1.89× the raw merge alone (CPU 1.73×)',
};

const FERRY_YAML = `version: 1
connections:
  bench:
    endpoint: \${env:FERRY_BENCH_ENDPOINT}
    force_path_style: true
    auth: {kind: static, access_key_id: '\${env:FERRY_BENCH_ACCESS_KEY_ID}', secret_access_key: '\${env:FERRY_BENCH_SECRET_ACCESS_KEY}'}
state: {kind: local, directory: state}
datasets:
  accounts: {kind: entity, key: [${KEY}]}
`;

const PIPELINE_YAML = `name: bench-upsert
source:
  kind: s3
  connection: bench
  bucket: ${BUCKET}
  prefix: accounts/
  pick: newest
  format: {kind: csv, max_rejects: 0}
mapping:
  rename: {${RENAME.from}: ${RENAME.to}}
  cast: {${CAST.column}: '${CAST.type}'}
sink: {kind: dataset, dataset: accounts, mode: upsert}
`;

interface UpsertProject {
  client: S3Client;
  apply(now: Date): Promise<PipelinePlan>;
  putDay2(path: string): Promise<void>;
  /** Back to the state (and dataset version) day 1 left. */
  reset(): Promise<void>;
  /** The local file of the dataset's current version, from the state's manifest. */
  currentVersion(): Promise<string>;
}

async function withUpsertProject<T>(
  root: string,
  day1Path: string,
  work: (project: UpsertProject) => Promise<T>,
): Promise<T> {
  const projectDir = join(root, 'upsert-project');
  await mkdir(join(projectDir, 'pipelines'), { recursive: true });
  await writeFile(join(projectDir, 'ferry.yaml'), FERRY_YAML);
  await writeFile(join(projectDir, 'pipelines', 'bench-upsert.yaml'), PIPELINE_YAML);
  const server = await startS3Server();
  try {
    await server.createBucket(BUCKET);
    const env = benchEnv(server.endpoint);
    const apply = async (now: Date) => {
      const loaded = loadProject({ cwd: projectDir, env });
      if (!loaded.project) throw new Error(loaded.problems.map((p) => p.message).join('; '));
      const plan = await runProject({
        project: loaded.project,
        pipelines: loaded.pipelines,
        mode: 'apply',
        env,
        now,
        tempRoot: root,
      });
      const result = plan.pipelines[0];
      if (!result || result.status === 'error')
        throw new Error(`ferry upsert failed: ${result?.error?.message ?? 'no result'}`);
      return result;
    };
    const put = (path: string, key: string) =>
      uploadFile(server.client, { connection: 'bench', bucket: BUCKET, key, filePath: path });
    await put(day1Path, DAY1_KEY);
    await apply(DAY1);
    const stateDir = join(projectDir, 'state');
    const saved = join(root, 'upsert-state-after-day1');
    await cp(stateDir, saved, { recursive: true });
    const datasetDir = join(stateDir, 'datasets', 'accounts');
    return await work({
      client: server.client,
      apply,
      putDay2: async (path) => {
        await put(path, DAY2_KEY);
      },
      reset: async () => {
        await rm(stateDir, { recursive: true, force: true });
        await cp(saved, stateDir, { recursive: true });
      },
      currentVersion: async () => {
        const manifest = JSON.parse(await readFile(join(datasetDir, 'manifest.json'), 'utf8')) as {
          current: number;
          versions: Array<{ version: number; file: string }>;
        };
        const file = manifest.versions.find((v) => v.version === manifest.current)?.file;
        if (file === undefined) throw new Error('the dataset has no current version');
        return join(datasetDir, file);
      },
    });
  } finally {
    await server.stop();
  }
}

interface UpsertSide {
  engine: Measured<unknown>[];
  endToEnd: Measured<unknown>[];
}

/** Runs the scenario, `repeat` interleaved runs of each side; throws if ferry and DuckDB disagree. */
export async function benchUpsert(context: BenchContext): Promise<BenchRow[]> {
  const data = await context.data();
  const root = join(context.root, 'upsert');
  const datasetDir = join(root, 'upsert-raw', 'dataset');
  await mkdir(datasetDir, { recursive: true });
  const { expected } = data;
  const expectedRows = data.day1.rows + expected.added;
  context.log('upsert: ferry day 1 into a dataset (not timed); raw DuckDB starts from the version it wrote');
  const ferry: UpsertSide = { engine: [], endToEnd: [] };
  const raw: UpsertSide = { engine: [], endToEnd: [] };
  const problems: string[] = [];
  const expect = (what: string, actual: number, wanted: number): void => {
    if (actual !== wanted) problems.push(`${what}: ${actual}, expected ${wanted}`);
  };
  const rawNext = join(datasetDir, 'v2.parquet');
  let lastBreakdown: Breakdown | undefined;
  let ferryNext: string | undefined;
  await withUpsertProject(root, data.day1Path, async (project) => {
    const previous = join(datasetDir, 'v1.parquet');
    await cp(await project.currentVersion(), previous);
    await project.putDay2(data.day2Path);
    const download = join(root, 'upsert-raw', 'accounts_2.csv');
    for (let i = 1; i <= context.options.repeat; i++) {
      context.log(
        `upsert ${data.day2.rows} rows into ${data.day1.rows}, run ${i} of ${context.options.repeat}: raw, then ferry`,
      );
      let engine: Measured<Awaited<ReturnType<typeof runRawUpsert>>> | undefined;
      const endToEnd = await measureSide(async () => {
        await downloadPlain(project.client, BUCKET, DAY2_KEY, download);
        engine = await measure(() =>
          runRawUpsert({
            dir: join(root, 'upsert-raw'),
            dayPath: download,
            previous,
            output: rawNext,
            key: KEY,
            version: 2,
            now: DAY2,
          }),
        );
      });
      if (engine === undefined) throw new Error('raw side did not run');
      raw.engine.push(engine);
      raw.endToEnd.push(endToEnd);
      expect('raw created', engine.value.created, expected.added);
      expect('raw updated', engine.value.updated, expected.changed);
      expect('raw rows', engine.value.rows, expectedRows);

      if (i > 1) await project.reset();
      const { measured, breakdown } = await measureProfiledApply(() => project.apply(DAY2));
      lastBreakdown = breakdown;
      const outside = breakdown.phases.filter((ph) => /^(prepare|fetch|upload|commit)/.test(ph.name));
      ferry.endToEnd.push(measured);
      // CPU and RSS are not split by phase: the engine part carries the whole run's.
      ferry.engine.push({
        ...measured,
        seconds: measured.seconds - outside.reduce((sum, ph) => sum + ph.seconds, 0),
      });
      const effect = measured.value.dataset;
      expect('ferry created', effect?.created ?? -1, expected.added);
      expect('ferry updated', effect?.updated ?? -1, expected.changed);
      expect('ferry rows in the new version', effect?.rows ?? -1, expectedRows);
    }
    ferryNext = await project.currentVersion();
  });
  if (ferryNext !== undefined) {
    const different = await countDifferentRows(root, ferryNext, rawNext);
    expect("rows that differ between ferry's new version and the raw one", different, 0);
  }
  if (problems.length) throw new Error(`upsert scenario results are wrong:\n  ${problems.join('\n  ')}`);
  if (lastBreakdown && context.options.top > 0) {
    console.error(
      slowestStatements(
        'ferry upsert day 2 (last run), by phase and slowest statements',
        lastBreakdown,
        context.options.top,
      ),
    );
  }
  const work = { rows: data.day2.rows, bytes: data.day2.bytes };
  const size = rowsLabel(context.options.rows);
  const row = (
    label: string,
    now: Summary,
    reference: Summary,
    referenceLabel: string,
    extra: string,
  ): BenchRow =>
    ratioRow({
      work: `dataset upsert ${size} rows into ${size}, ${label}`,
      before: BEFORE[context.options.rows] ?? '-',
      now,
      reference,
      referenceLabel,
      size: work,
      targetRatio: 1.3,
      extra,
    });
  return [
    row(
      'engine part (after download, before commit)',
      summarize(ferry.engine),
      summarize(raw.engine),
      'raw merge on the downloaded file',
      `CPU and RSS are the whole apply${lastBreakdown === undefined ? '' : `; ${explainUpsertGap(lastBreakdown)}`}`,
    ),
    row(
      'end to end from s3rver',
      summarize(ferry.endToEnd),
      summarize(raw.endToEnd),
      'download + raw merge into the dataset directory',
      '',
    ),
  ];
}
