/**
 * The datasets scenario: a 1-million-row upsert into a 1-million-row dataset. ferry applies day 1
 * into a dataset (not timed), then day 2 with `mode: upsert` (timed, end to end through s3rver);
 * plain DuckDB does the same merge on local files: read day 2 with the same rename and cast, match
 * by key, tell changed from unchanged by row hash, keep created_at, stamp updated_at and the version
 * for changed rows, write the new version as Parquet.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadProject } from '../../engine/project/load-project.js';
import { runProject } from '../../engine/run/run-project.js';
import { quoteIdent as q, quoteLiteral } from '../../engine/duckdb/sql.js';
import { uploadFile } from '../../engine/io/s3/upload-file.js';
import { startS3Server } from '../../test/harness/s3-server.js';
import { CAST, RENAME, benchEnv } from './ferry-project.js';
import { mappedSelect, open, outputColumns, readCsv, rowHash, scalar } from './raw-duckdb.js';
import { installStatementRecorder, type StatementRecord } from './record-statements.js';
import { integer, seconds, table } from './report.js';

const KEY = 'id';

export interface UpsertResult {
  ferrySeconds: number;
  ferryCpuSeconds: number;
  rawSeconds: number;
  rawCpuSeconds: number;
  effect: { created: number; updated: number; unchanged: number; rows: number };
  raw: { created: number; updated: number; rows: number };
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await run();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

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
  bucket: upsert-drops
  prefix: accounts/
  pick: newest
  format: {kind: csv, max_rejects: 0}
mapping:
  rename: {${RENAME.from}: ${RENAME.to}}
  cast: {${CAST.column}: '${CAST.type}'}
sink: {kind: dataset, dataset: accounts, mode: upsert}
`;

async function ferryUpsert(root: string, day1Path: string, day2Path: string) {
  const projectDir = join(root, 'upsert-project');
  await mkdir(join(projectDir, 'pipelines'), { recursive: true });
  await writeFile(join(projectDir, 'ferry.yaml'), FERRY_YAML);
  await writeFile(join(projectDir, 'pipelines', 'bench-upsert.yaml'), PIPELINE_YAML);
  const server = await startS3Server();
  try {
    await server.createBucket('upsert-drops');
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
    const put = (path: string, name: string) =>
      uploadFile(server.client, {
        connection: 'bench',
        bucket: 'upsert-drops',
        key: `accounts/${name}`,
        filePath: path,
      });
    await put(day1Path, 'accounts_1.csv');
    await apply(new Date('2024-05-01T06:00:00Z'));
    await put(day2Path, 'accounts_2.csv');
    const recorder = installStatementRecorder();
    try {
      recorder.start();
      const run = await timed(() => apply(new Date('2024-05-02T06:00:00Z')));
      return { ...run, records: recorder.stop() };
    } finally {
      recorder.dispose();
    }
  } finally {
    await server.stop();
  }
}

async function rawUpsert(root: string, day1Path: string, day2Path: string) {
  const dir = join(root, 'upsert-raw');
  await mkdir(dir, { recursive: true });
  const v1 = join(dir, 'v1.parquet');
  const v2 = join(dir, 'v2.parquet');
  const cols = outputColumns();
  {
    // The day-1 dataset version, as ferry keeps it (not timed).
    const { instance, connection } = await open(dir);
    try {
      await connection.run(
        `COPY (SELECT *, 1::BIGINT AS _v, TIMESTAMPTZ '2024-05-01 06:00:00+00' AS _created, TIMESTAMPTZ '2024-05-01 06:00:00+00' AS _updated, ${rowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(day1Path)})) TO ${quoteLiteral(v1)} (FORMAT parquet)`,
      );
    } finally {
      connection.disconnectSync();
      instance.closeSync();
    }
  }
  return timed(async () => {
    const { instance, connection } = await open(dir);
    try {
      await connection.run(
        `CREATE TABLE inc AS SELECT *, ${rowHash()} AS _h FROM (SELECT ${mappedSelect()} FROM ${readCsv(day2Path)})`,
      );
      const prev = `read_parquet(${quoteLiteral(v1)})`;
      const now = `TIMESTAMPTZ '2024-05-02 06:00:00+00'`;
      const changed = `(p.${q(KEY)} IS NULL OR p._h <> i._h)`;
      await connection.run(
        `COPY (SELECT p.* FROM ${prev} p ANTI JOIN inc i ON i.${q(KEY)} = p.${q(KEY)} UNION ALL ` +
          `SELECT ${cols.map((c) => `i.${q(c)}`).join(', ')}, CASE WHEN ${changed} THEN 2 ELSE p._v END, coalesce(p._created, ${now}), ` +
          `CASE WHEN ${changed} THEN ${now} ELSE p._updated END, i._h FROM inc i LEFT JOIN ${prev} p ON p.${q(KEY)} = i.${q(KEY)}) TO ${quoteLiteral(v2)} (FORMAT parquet)`,
      );
      const created = await scalar(
        connection,
        `SELECT count(*) FROM inc i ANTI JOIN ${prev} p ON p.${q(KEY)} = i.${q(KEY)}`,
      );
      const updated = await scalar(
        connection,
        `SELECT count(*) FROM inc i JOIN ${prev} p ON p.${q(KEY)} = i.${q(KEY)} WHERE p._h <> i._h`,
      );
      const rows = await scalar(connection, `SELECT count(*) FROM read_parquet(${quoteLiteral(v2)})`);
      return { created, updated, rows };
    } finally {
      connection.disconnectSync();
      instance.closeSync();
    }
  });
}

/** Runs the scenario and prints its table; throws if ferry and DuckDB disagree on the counts. */
export async function benchUpsert(options: {
  root: string;
  day1Path: string;
  day2Path: string;
  rows: number;
  expected: { added: number; changed: number; removed: number };
  log: (message: string) => void;
}): Promise<void> {
  options.log('upsert scenario: raw DuckDB merge on local files');
  const raw = await rawUpsert(options.root, options.day1Path, options.day2Path);
  options.log('upsert scenario: ferry, day 1 into the dataset (not timed), then day 2 upsert (timed)');
  const ferry = await ferryUpsert(options.root, options.day1Path, options.day2Path);
  const effect = ferry.value.dataset;
  if (!effect) throw new Error('ferry reported no dataset effect');
  const expectedRows = options.rows + options.expected.added;
  const checks = [
    [effect.created, options.expected.added, 'created'],
    [effect.updated, options.expected.changed, 'updated'],
    [effect.rows, expectedRows, 'rows in the new version'],
    [raw.value.created, options.expected.added, 'raw created'],
    [raw.value.updated, options.expected.changed, 'raw updated'],
    [raw.value.rows, expectedRows, 'raw rows'],
  ] as const;
  for (const [got, want, what] of checks) {
    if (got !== want) throw new Error(`upsert scenario: ${what} is ${got}, expected ${want}`);
  }
  const ratio = ferry.seconds / raw.seconds;
  console.log(
    [
      '',
      `ferry bench — upsert of ${integer(options.rows)} rows into a ${integer(options.rows)}-row dataset (${integer(effect.created)} created, ${integer(effect.updated)} updated, ${integer(effect.unchanged)} unchanged; both found exactly these)`,
      '',
      table(
        [
          'rows',
          'ferry upsert day 2 (s)',
          'raw DuckDB merge (s)',
          'ratio ferry/raw',
          'target',
          'CPU s ferry / raw',
        ],
        [
          [
            integer(options.rows),
            seconds(ferry.seconds),
            seconds(raw.seconds),
            `${ratio.toFixed(2)}×`,
            '≤ ~2×',
            `${seconds(ferry.cpu)} / ${seconds(raw.cpu)} (${(ferry.cpu / raw.cpu).toFixed(2)}×)`,
          ],
        ],
      ),
      ratio <= 2 ? 'WITHIN TARGET' : 'OVER TARGET',
      '(ferry: S3 GET, load, map, one SQL merge, new version Parquet, commit; raw: the same merge on local files)',
      `(of ferry's ${seconds(ferry.seconds)} s: ${seconds(inDuckDb(ferry.records))} s inside DuckDB statements, = ${(inDuckDb(ferry.records) / raw.seconds).toFixed(2)}× raw; the rest is S3 listing and download, the new version copied into state, and bookkeeping)`,
      '',
      'ferry day 2, slowest DuckDB statements:',
      table(['seconds', 'statement'], slowest(ferry.records, 8)),
    ].join('\n'),
  );
}

function slowest(records: readonly StatementRecord[], top: number): string[][] {
  return [...records]
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, top)
    .map((r) => [seconds((r.end - r.start) / 1000), oneLine(r.sql, 110)]);
}

function oneLine(sql: string, width: number): string {
  const flat = sql.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function inDuckDb(records: readonly StatementRecord[]): number {
  return records.reduce((sum, r) => sum + (r.end - r.start), 0) / 1000;
}
