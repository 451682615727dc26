/**
 * The multi-CSV export scenario: the day-1 accounts file (every row) exported as Multi-CSV with two
 * list fields (`logins`: signed-up and last-login dates; `words`: the company name split on spaces):
 * one scalar file and one file per list field, each row carrying an MD5 join key of the id. ferry
 * runs `apply` end to end from s3rver; plain DuckDB reads the downloaded file, computes the same lists
 * and join key, and COPYs the three files (source order, the table's own insertion order), and both
 * upload what they wrote. Both must write the same number of rows per file.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelinePlan } from '../../engine/plan/plan-model.js';
import { loadProject } from '../../engine/project/load-project.js';
import { runProject } from '../../engine/run/run-project.js';
import { quoteIdent as q, quoteLiteral } from '../../engine/duckdb/sql.js';
import { startS3Server, type S3TestServer } from '../../test/harness/s3-server.js';
import type { BenchContext } from './bench-context.js';
import { ratioRow, type BenchRow } from './bench-row.js';
import { downloadPlain, removeObjects, uploadPlain } from './bench-s3.js';
import { benchEnv } from './ferry-project.js';
import { rowsLabel } from './diff-scenario.js';
import { BENCH_COLUMNS } from './generate-data.js';
import { measureSide, summarize, type Measured } from './measure.js';
import { readCsv, scalar, withRawDatabase } from './raw-duckdb.js';
import type { Breakdown } from './breakdown.js';
import { measureProfiledApply } from './profile-apply.js';
import { slowestStatements } from './slowest-statements.js';

const SOURCE = 'export-drops';
const SINK = 'export-out';
const LISTS = { logins: '[signed_up, last_login]', words: "string_split(company, ' ')" } as const;
const NOW = new Date('2024-05-01T06:00:00Z');

const FERRY_YAML = `version: 1
connections:
  bench:
    endpoint: \${env:FERRY_BENCH_ENDPOINT}
    force_path_style: true
    auth: {kind: static, access_key_id: '\${env:FERRY_BENCH_ACCESS_KEY_ID}', secret_access_key: '\${env:FERRY_BENCH_SECRET_ACCESS_KEY}'}
state: {kind: local, directory: state}
`;

const PIPELINE_YAML = `name: bench-export
source:
  kind: s3
  connection: bench
  bucket: ${SOURCE}
  prefix: accounts/
  pick: newest
  format: {kind: csv, max_rejects: 0}
mapping:
  key: [id]
  compute:
${Object.entries(LISTS)
  .map(([name, sql]) => `    ${name}: "${sql}"`)
  .join('\n')}
sink:
  kind: s3
  connection: bench
  bucket: ${SINK}
  directory: export/
  filename: 'accounts-{{field}}'
  format: {kind: multi-csv, headers: true, join_key: _join_key}
`;

export async function benchMultiCsvExport(context: BenchContext): Promise<BenchRow[]> {
  const data = await context.data();
  const root = join(context.root, 'export');
  const projectDir = join(root, 'project');
  const rawDir = join(root, 'raw');
  await mkdir(join(projectDir, 'pipelines'), { recursive: true });
  await mkdir(rawDir, { recursive: true });
  await writeFile(join(projectDir, 'ferry.yaml'), FERRY_YAML);
  await writeFile(join(projectDir, 'pipelines', 'bench-export.yaml'), PIPELINE_YAML);
  const server = await startS3Server();
  try {
    await server.createBucket(SOURCE);
    await server.createBucket(SINK);
    await uploadPlain(server.client, SOURCE, 'accounts/accounts.csv', data.day1Path);
    const env = benchEnv(server.endpoint);
    const ferries: Measured<PipelinePlan>[] = [];
    const raws: Measured<number[]>[] = [];
    let lastBreakdown: Breakdown | undefined;
    for (let i = 1; i <= context.options.repeat; i++) {
      context.log(
        `multi-CSV export of ${data.day1.rows} rows, run ${i} of ${context.options.repeat}: raw, then ferry`,
      );
      raws.push(await measureSide(() => rawExport(server, rawDir)));
      await rm(join(projectDir, 'state'), { recursive: true, force: true });
      await removeObjects(server.client, SINK);
      const { measured, breakdown } = await measureProfiledApply(() => ferryExport(projectDir, env, root));
      ferries.push(measured);
      lastBreakdown = breakdown;
    }
    for (const [i, ferry] of ferries.entries()) {
      const got = ferry.value.outputs.map((o) => o.rows).join(', ');
      const want = (raws[i]?.value ?? []).join(', ');
      if (got !== want) throw new Error(`multi-CSV export: ferry wrote ${got} rows per file, DuckDB ${want}`);
    }
    if (lastBreakdown && context.options.top > 0) {
      console.error(
        slowestStatements(
          'ferry multi-CSV export (last run), by phase and slowest statements',
          lastBreakdown,
          context.options.top,
        ),
      );
    }
    return [
      ratioRow({
        work: `multi-CSV export, ${rowsLabel(context.options.rows)} rows, two list fields, end to end`,
        before: '-',
        now: summarize(ferries),
        reference: summarize(raws),
        referenceLabel: 'download + raw COPYs + upload',
        size: { rows: data.day1.rows, bytes: data.day1.bytes },
        targetRatio: 1.3,
      }),
    ];
  } finally {
    await server.stop();
  }
}

async function ferryExport(
  projectDir: string,
  env: NodeJS.ProcessEnv,
  tempRoot: string,
): Promise<PipelinePlan> {
  const loaded = loadProject({ cwd: projectDir, env });
  if (!loaded.project) throw new Error(loaded.problems.map((p) => p.message).join('; '));
  const plan = await runProject({
    project: loaded.project,
    pipelines: loaded.pipelines,
    mode: 'apply',
    env,
    now: NOW,
    tempRoot,
  });
  const result = plan.pipelines[0];
  if (!result || result.status === 'error')
    throw new Error(`ferry export failed: ${result?.error?.message ?? 'no result'}`);
  return result;
}

/** Rows written per file: main, then one per list field. */
async function rawExport(server: S3TestServer, dir: string): Promise<number[]> {
  const local = join(dir, 'accounts.csv');
  await downloadPlain(server.client, SOURCE, 'accounts/accounts.csv', local);
  const files = ['main', ...Object.keys(LISTS)].map((f) => ({
    field: f,
    path: join(dir, `accounts-${f}.csv`),
  }));
  const { counts } = await withRawDatabase(dir, async (timed) => {
    const key = `md5(CAST(to_json({'id': CAST(id AS VARCHAR)}) AS VARCHAR))`;
    const lists = Object.entries(LISTS).map(([name, sql]) => `${sql} AS ${q(name)}`);
    await timed('read + join key + lists', (c) =>
      c.run(`CREATE TABLE base AS SELECT ${key} AS _join_key, *, ${lists.join(', ')} FROM ${readCsv(local)}`),
    );
    const out: number[] = [];
    for (const { field, path } of files) {
      const select =
        field === 'main'
          ? `SELECT _join_key, ${BENCH_COLUMNS.map(q).join(', ')} FROM base`
          : `SELECT _join_key, CAST(unnest(${q(field)}) AS VARCHAR) AS "value" FROM base`;
      out.push(
        await timed(`COPY ${field}`, (c) =>
          scalar(c, `COPY (${select}) TO ${quoteLiteral(path)} (FORMAT csv, HEADER true)`),
        ),
      );
    }
    return { counts: out };
  });
  for (const { field, path } of files)
    await uploadPlain(server.client, SINK, `raw/accounts-${field}.csv`, path);
  return counts;
}
