/**
 * What-if measurements for the performance proposals (`npm run bench -- --what-if [--rows N]
 * [--repeat N] [--seed N]`; not part of the default bench run).
 *
 * Replays the SQL of ferry's day-2 apply (load → map → diff → write-files) on local files, in ferry's
 * own sandboxed session (createDuckDbSession, 1GB), built with the engine's compilers (loadCsv,
 * compileMappingSql, compileDiffSql, compileCopySql) and the statements the steps add around them, as of
 * this writing. Then the same with the proposed changes applied one after another (cumulative), and
 * checks every variant writes byte-identical output and the same snapshot rows and counts. S3 transfer,
 * state and upload are left out: they are the same in every variant.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Pipeline } from '../../engine/config/model.js';
import { createDuckDbSession, type DuckDbSession } from '../../engine/duckdb/create-duckdb-session.js';
import { loadCsv } from '../../engine/duckdb/load-csv.js';
import { quoteIdent as q, quoteLiteral } from '../../engine/duckdb/sql.js';
import { loadProject } from '../../engine/project/load-project.js';
import { compileCopySql } from '../../engine/steps/compile-copy-sql.js';
import { compileDiffSql, DIFF_COLUMN, HASH_COLUMN, KEY_COLUMN } from '../../engine/steps/compile-diff-sql.js';
import { compileMappingSql, REJECT_COLUMN, ROW_COLUMN } from '../../engine/steps/compile-mapping-sql.js';
import { ORDER_COLUMN } from '../../engine/steps/diff-step.js';
import { benchEnv, PIPELINE_NAME, writeBenchProject } from './ferry-project.js';
import { generateBenchData } from './generate-data.js';
import { megabytes, seconds, table } from './report.js';

/** The proposals, each on top of the ones before it. */
interface Changes {
  /** load: `source` is a view over the loaded table with `offset + rowid` as the row number. */
  sourceView: boolean;
  /** diff: no row_number() window unless a count(DISTINCT key) shows duplicate keys. */
  windowOnlyForDuplicates: boolean;
  /** diff: one join straight into the output table; counts from it; no `classified`/`previous` copies. */
  narrowClassify: boolean;
  /** diff: snapshot in row order (no ORDER BY key); write-files: COPY from output, no `to_write` copy. */
  noExtraSorts: boolean;
  /** map: `mapped` is a view; `current` is the only materialized copy after load. */
  mappedView: boolean;
}

const NONE: Changes = {
  sourceView: false,
  windowOnlyForDuplicates: false,
  narrowClassify: false,
  noExtraSorts: false,
  mappedView: false,
};
const VARIANTS: Array<{ name: string; changes: Changes }> = [
  { name: 'ferry today', changes: NONE },
  { name: '+ source as view (rowid)', changes: { ...NONE, sourceView: true } },
  {
    name: '+ window only on duplicates',
    changes: { ...NONE, sourceView: true, windowOnlyForDuplicates: true },
  },
  {
    name: '+ narrow classify (1 join)',
    changes: { ...NONE, sourceView: true, windowOnlyForDuplicates: true, narrowClassify: true },
  },
  {
    name: '+ no snapshot sort / to_write',
    changes: {
      sourceView: true,
      windowOnlyForDuplicates: true,
      narrowClassify: true,
      noExtraSorts: true,
      mappedView: false,
    },
  },
  {
    name: '+ mapped as view',
    changes: {
      sourceView: true,
      windowOnlyForDuplicates: true,
      narrowClassify: true,
      noExtraSorts: true,
      mappedView: true,
    },
  },
];

interface RunResult {
  seconds: number;
  /** CPU time of this process (all DuckDB threads), user + system. */
  cpuSeconds: number;
  /** Most DuckDB memory in use after any statement, and most spilled to its temp directory. */
  memoryBytes: number;
  spillBytes: number;
  steps: Record<string, number>;
  counts: { added: number; changed: number; unchanged: number; removed: number; superseded: number };
  outputSha256: string;
  snapshot: string;
}

const STEP_NAMES = ['load', 'map', 'diff', 'write-files'] as const;
type StepName = (typeof STEP_NAMES)[number];

async function one(session: DuckDbSession, sql: string): Promise<number> {
  const [row] = await session.all(sql);
  return Number(Object.values(row ?? {})[0] ?? 0);
}

/** ferry's day-2 SQL (or a variant of it) in a fresh sandboxed session; returns timings and results. */
async function runVariant(options: {
  changes: Changes;
  pipeline: Pipeline;
  dir: string;
  csvPath: string;
  previousSnapshot: string | undefined;
  key: string;
}): Promise<RunResult> {
  const { changes, pipeline, dir } = options;
  const source = pipeline.source;
  const sink = pipeline.sink;
  if (source.kind !== 's3' || source.format.kind !== 'csv' || sink.kind !== 's3' || !pipeline.diff) {
    throw new Error('the bench pipeline is an s3 CSV → s3 pipeline with a diff');
  }
  // As ferry: the input and the previous snapshot are copied into the run's temp dir (not timed).
  const temp = await mkdtemp(join(dir, 'run-'));
  const csvPath = join(temp, 'source-0001.csv');
  await copyFile(options.csvPath, csvPath);
  let previousSnapshot: string | undefined;
  if (options.previousSnapshot !== undefined) {
    previousSnapshot = join(temp, 'previous-snapshot.parquet');
    await copyFile(options.previousSnapshot, previousSnapshot);
  }
  const steps: Record<string, number> = {};
  const cpu = process.cpuUsage();
  const started = performance.now();
  const inner = await createDuckDbSession({ tempDir: temp });
  const memory = { memoryBytes: 0, spillBytes: 0 };
  const sampleMemory = async (): Promise<void> => {
    const [row] = await inner.all(
      'SELECT (SELECT sum(memory_usage_bytes) FROM duckdb_memory()) AS m, (SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()) AS s',
    );
    memory.memoryBytes = Math.max(memory.memoryBytes, Number(row?.['m'] ?? 0));
    memory.spillBytes = Math.max(memory.spillBytes, Number(row?.['s'] ?? 0));
  };
  // Every statement is followed by a memory sample (a few ms in all).
  const session: DuckDbSession = {
    ...inner,
    async run(sql) {
      await inner.run(sql);
      await sampleMemory();
    },
    async all(sql) {
      const rows = await inner.all(sql);
      await sampleMemory();
      return rows;
    },
  };
  let stepStart = performance.now();
  const endStep = (name: StepName): void => {
    const now = performance.now();
    steps[name] = (now - stepStart) / 1000;
    stepStart = now;
  };
  try {
    // load (load-step.ts + load-csv.ts)
    const format = source.format;
    const loaded = await loadCsv(session, {
      path: csvPath,
      table: 'raw_0',
      displayName: 'bench',
      dialect: {
        delimiter: format.delimiter,
        quote: format.quote,
        escape: format.escape,
        header: format.header,
        encoding: format.encoding,
        ...(format.nullString !== undefined ? { nullString: format.nullString } : {}),
        compression: 'none',
        emptyFile: format.emptyFile,
      },
      maxRejects: format.maxRejects,
    });
    const fileKey = quoteLiteral(options.key);
    if (changes.sourceView) {
      // rowid of data record k is k with a header (row 0 was the header), k - 1 without.
      const rowNumber = format.header ? 'rowid' : '(rowid + 1)';
      await session.run(
        `CREATE VIEW source AS SELECT *, ${fileKey} AS ${q('_ferry_file')}, 0 + ${rowNumber} AS ${q(ROW_COLUMN)} FROM raw_0`,
      );
    } else {
      await session.run(
        `CREATE TABLE source AS SELECT *, ${fileKey} AS ${q('_ferry_file')}, 0 + row_number() OVER (ORDER BY rowid) AS ${q(ROW_COLUMN)} FROM raw_0`,
      );
      await session.run('DROP TABLE raw_0');
    }
    if ((await one(session, 'SELECT count(*) AS n FROM source')) !== loaded.rowsLoaded) {
      throw new Error('load count mismatch');
    }
    endStep('load');

    // map (map-step.ts)
    const mapping = compileMappingSql({
      mapping: pipeline.mapping,
      inputTable: 'source',
      outputTable: 'mapped',
      columns: loaded.columns,
      pipeline: pipeline.name,
      timezone: 'UTC',
    });
    await session.run(
      changes.mappedView ? mapping.createStage.replace(/^CREATE TABLE/, 'CREATE VIEW') : mapping.createStage,
    );
    const rejected = await one(
      session,
      `SELECT count(*) AS n FROM mapped WHERE ${q(REJECT_COLUMN)} IS NOT NULL`,
    );
    if (rejected !== 0) throw new Error(`${rejected} rows rejected in mapping`);
    endStep('map');

    // diff (diff-step.ts + compile-diff-sql.ts)
    const columns = mapping.columns;
    const key = pipeline.diff.key ?? pipeline.mapping?.key ?? null;
    const diff = compileDiffSql({ mappedTable: 'mapped', columns, key, previousSnapshot });
    const counts = { added: 0, changed: 0, unchanged: 0, removed: 0, superseded: 0 };
    if (changes.windowOnlyForDuplicates) {
      // createCurrent without the QUALIFY; the window only when there are duplicate keys.
      const plain = diff.createCurrent.replace(
        /^CREATE TABLE current AS SELECT \* FROM \((.*)\) QUALIFY .*$/,
        '$1',
      );
      if (plain === diff.createCurrent) throw new Error('createCurrent changed shape');
      await session.run(`CREATE TABLE current AS ${plain}`);
      counts.superseded = await one(
        session,
        `SELECT count(*) - count(DISTINCT ${q(KEY_COLUMN)}) AS n FROM current`,
      );
      if (counts.superseded > 0) {
        await session.run(
          `DELETE FROM current WHERE rowid IN (SELECT rowid FROM current QUALIFY row_number() OVER (PARTITION BY ${q(KEY_COLUMN)} ORDER BY ${q(ROW_COLUMN)} DESC) > 1)`,
        );
      }
    } else {
      await session.run(diff.createCurrent);
      counts.superseded = await one(session, diff.countSuperseded);
    }
    const data = columns.map(q).join(', ');
    if (changes.narrowClassify) {
      const previous =
        previousSnapshot === undefined
          ? `(SELECT CAST(NULL AS VARCHAR) AS ${q(KEY_COLUMN)}, CAST(NULL AS VARCHAR) AS ${q(HASH_COLUMN)} WHERE false)`
          : `read_parquet(${quoteLiteral(previousSnapshot)})`;
      await session.run(
        `CREATE TABLE output AS SELECT ${columns.map((c) => `c.${q(c)}`).join(', ')}, c.${q(ROW_COLUMN)} AS ${q(ORDER_COLUMN)}, ` +
          `CASE WHEN p.${q(KEY_COLUMN)} IS NULL THEN 'added' ELSE 'changed' END AS ${q(DIFF_COLUMN)} ` +
          `FROM current c LEFT JOIN ${previous} p ON p.${q(KEY_COLUMN)} = c.${q(KEY_COLUMN)} ` +
          `WHERE p.${q(KEY_COLUMN)} IS NULL OR p.${q(HASH_COLUMN)} <> c.${q(HASH_COLUMN)}`,
      );
      for (const row of await session.all(
        `SELECT ${q(DIFF_COLUMN)} AS kind, count(*) AS n FROM output GROUP BY 1`,
      )) {
        if (row['kind'] === 'added') counts.added = Number(row['n']);
        else counts.changed = Number(row['n']);
      }
      const current = await one(session, 'SELECT count(*) AS n FROM current');
      const previousRows = await one(session, `SELECT count(*) AS n FROM ${previous}`);
      counts.unchanged = current - counts.added - counts.changed;
      // Snapshot keys are unique, so every previous row matched one current row or was removed.
      counts.removed = previousRows - counts.changed - counts.unchanged;
    } else {
      await session.run(diff.createPrevious);
      await session.run(diff.createClassified);
      for (const row of await session.all(
        `SELECT ${q(DIFF_COLUMN)} AS kind, count(*) AS n FROM classified GROUP BY 1`,
      )) {
        const n = Number(row['n']);
        if (row['kind'] === 'added') counts.added = n;
        else if (row['kind'] === 'changed') counts.changed = n;
        else counts.unchanged = n;
      }
      counts.removed = await one(session, diff.countRemoved);
      await session.run(
        `CREATE TABLE output AS SELECT ${data}, ${q(ROW_COLUMN)} AS ${q(ORDER_COLUMN)} FROM classified WHERE ${q(DIFF_COLUMN)} <> 'unchanged'`,
      );
    }
    const snapshot = join(temp, 'snapshot.parquet');
    const writeSnapshot = diff.writeSnapshot(snapshot);
    await session.run(
      changes.noExtraSorts
        ? writeSnapshot.replace(` FROM current ORDER BY ${q(KEY_COLUMN)})`, ' FROM current)')
        : writeSnapshot,
    );
    await one(session, 'SELECT count(*) AS n FROM current');
    endStep('diff');

    // write-files (write-files-step.ts), one CSV part
    const described = await session.all('DESCRIBE output');
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    const types = new Map(described.map((r) => [text(r['column_name']), text(r['column_type'])]));
    const total = await one(session, 'SELECT count(*) AS n FROM output');
    if (total !== counts.added + counts.changed) throw new Error('output count mismatch');
    let from = 'output';
    if (!changes.noExtraSorts) {
      await session.run(
        `CREATE TABLE to_write AS SELECT ${[...columns, ORDER_COLUMN].map(q).join(', ')} FROM output ORDER BY ${q(ORDER_COLUMN)}`,
      );
      from = 'to_write';
    }
    const output = join(temp, 'out-0001.csv');
    await session.run(
      compileCopySql({
        table: from,
        columns: columns.map((name) => ({ name, type: types.get(name) ?? 'VARCHAR' })),
        format: sink.format,
        compress: sink.compress,
        orderBy: [ORDER_COLUMN],
        path: output,
      }),
    );
    endStep('write-files');
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const outputSha256 = createHash('sha256')
      .update(await readFile(output))
      .digest('hex');
    const kept = join(dir, `snapshot-${Math.random().toString(36).slice(2)}.parquet`);
    await copyFile(snapshot, kept);
    return {
      seconds: elapsed,
      cpuSeconds: (used.user + used.system) / 1e6,
      ...memory,
      steps,
      counts,
      outputSha256,
      snapshot: kept,
    };
  } finally {
    inner.close();
    await rm(temp, { recursive: true, force: true });
  }
}

/** Order-insensitive comparison of two snapshot files. */
async function sameRows(a: string, b: string): Promise<boolean> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const sql = (x: string, y: string): string =>
      `SELECT count(*) FROM (SELECT * FROM read_parquet(${quoteLiteral(x)}) EXCEPT ALL SELECT * FROM read_parquet(${quoteLiteral(y)}))`;
    const reader = await connection.runAndReadAll(`SELECT (${sql(a, b)}) + (${sql(b, a)})`);
    return Number(reader.getRows()[0]?.[0]) === 0;
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs in `root` (an empty directory the caller removes). */
export async function runWhatIf(options: {
  rows: number;
  repeat: number;
  seed: number;
  root: string;
}): Promise<void> {
  const { rows, repeat, seed, root } = options;
  await writeBenchProject(join(root, 'project'));
  const loaded = loadProject({ cwd: join(root, 'project'), env: benchEnv('http://127.0.0.1:1') });
  const pipeline = loaded.pipelines.find((p) => p.name === PIPELINE_NAME);
  if (pipeline === undefined) throw new Error('bench pipeline did not load');
  await mkdir(join(root, 'data'));
  const day1 = join(root, 'data', 'day1.csv');
  const day2 = join(root, 'data', 'day2.csv');
  const generated = await generateBenchData({ rows, seed, day1Path: day1, day2Path: day2 });
  console.error(`generated ${rows} rows; expected ${JSON.stringify(generated.expected)}`);
  const first = await runVariant({
    changes: NONE,
    pipeline,
    dir: root,
    csvPath: day1,
    previousSnapshot: undefined,
    key: 'accounts/accounts_20240501.csv',
  });
  const results = new Map<string, RunResult[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < repeat; r++) {
    for (const variant of VARIANTS) {
      const result = await runVariant({
        changes: variant.changes,
        pipeline,
        dir: root,
        csvPath: day2,
        previousSnapshot: first.snapshot,
        key: 'accounts/accounts_20240502.csv',
      });
      console.error(`  run ${r + 1} ${variant.name}: ${seconds(result.seconds)} s`);
      results.get(variant.name)?.push(result);
    }
  }
  const reference = results.get('ferry today')?.[0];
  if (reference === undefined) throw new Error('no reference run');
  const rowsOut: string[][] = [];
  for (const variant of VARIANTS) {
    const runs = results.get(variant.name) ?? [];
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const same =
      runs.every((x) => x.outputSha256 === reference.outputSha256) &&
      runs.every((x) => JSON.stringify(x.counts) === JSON.stringify(reference.counts)) &&
      (await sameRows(best.snapshot, reference.snapshot));
    rowsOut.push([
      variant.name,
      seconds(best.seconds),
      seconds(median(runs.map((x) => x.seconds))),
      seconds(Math.min(...runs.map((x) => x.cpuSeconds))),
      megabytes(Math.max(...runs.map((x) => x.memoryBytes))),
      megabytes(Math.max(...runs.map((x) => x.spillBytes))),
      ...STEP_NAMES.map((s) => seconds(best.steps[s] ?? 0)),
      same ? 'identical' : 'DIFFERENT',
    ]);
  }
  console.log(
    `\nferry day-2 SQL on local files, ${rows.toLocaleString('en-US')} rows, best of ${repeat} (cumulative changes); counts ${JSON.stringify(reference.counts)}`,
  );
  console.log(
    table(
      [
        'variant',
        'best s',
        'median s',
        'min CPU s',
        'DuckDB mem',
        'spilled',
        ...STEP_NAMES.map((s) => `${s} s`),
        'output/snapshot/counts',
      ],
      rowsOut,
    ),
  );
}
