/**
 * `npm run bench` — ferry against the fastest plain DuckDB SQL for the same work, on this machine, in
 * one run (both sides interleaved, medians of `--repeat` runs), so the ratios hold on a loaded
 * machine where absolute timings do not. Prints one table (one row per measured work: the issue's
 * "before", ferry now, the reference, the ratio, the target, whether it is met and why not) and
 * writes it as JSON. Exits 0 whatever the ratios; non-zero only when the bench itself fails (a side
 * that finds a different diff than the generator made counts as that).
 *
 *   npm run bench                                   1,000,000 rows, 3 runs each, every scenario
 *   npm run bench -- --rows 10000 --repeat 1        the smoke run CI makes
 *   npm run bench -- --only diff                    one scenario (see --help for the names)
 *   npm run bench -- --rows 10000000 --repeat 1     the 10M-row figures in docs/benchmarks.md
 *
 * Scenarios are listed in SCENARIOS below (scripts/bench/*-scenario.ts); another module adds rows by
 * exporting an async function that returns BenchRow[] and being listed there.
 */
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBenchContext, type BenchOptions, type BenchScenario } from './bench/bench-context.js';
import type { BenchRow } from './bench/bench-row.js';
import { benchDiffImport } from './bench/diff-scenario.js';
import { benchMultiCsvExport } from './bench/export-scenario.js';
import { benchMemory } from './bench/memory-scenario.js';
import { MEMORY_LIMIT } from './bench/raw-duckdb.js';
import { table } from './bench/report.js';
import { IO_SCENARIOS } from './bench/io/io-scenarios.js';
import { benchUpsert } from './bench/upsert-scenario.js';

/** The issue's second size: its diff and day-1 rows, and the 1.5 GB budget, are for 10M rows. */
const TEN_MILLION = 10_000_000;

/** Every scenario, in run order; `--only NAME` runs one. Add other modules' scenario functions here. */
export const SCENARIOS: readonly BenchScenario[] = [
  { name: 'diff', run: benchDiffImport },
  { name: 'upsert', run: benchUpsert },
  { name: 'export', run: benchMultiCsvExport },
  // Peak RSS of `ferry apply` in its own process, day 1 and day 2 (the issue's memory budget).
  { name: 'memory', run: (context) => benchMemory(context, 'diff') },
  // The same, for the two days upserted into a dataset.
  { name: 'memory-dataset', run: (context) => benchMemory(context, 'dataset') },
  // I/O and start-up (scripts/bench/io): full size from 1M rows up, their quick sizes below that.
  ...IO_SCENARIOS.map((io): BenchScenario => ({
    name: io.name,
    run: async (context) => {
      const workDir = join(context.root, io.name);
      await mkdir(workDir, { recursive: true });
      return io.run({ quick: context.options.rows < 1_000_000, repeat: context.options.repeat, workDir });
    },
  })),
];

interface Options extends BenchOptions {
  only: string[];
  keep: boolean;
  /** Where to write the results as JSON; undefined: not written. */
  results: string | undefined;
}

const USAGE = `usage: npm run bench -- [--rows N] [--repeat N] [--only NAME]... [--seed N] [--top N] [--results PATH] [--keep]
  --rows N        rows on day 1 (default 1000000)
  --repeat N      timed runs of each side, interleaved; medians are reported (default 3)
  --only NAME     run only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --seed N        data generator seed (default 42)
  --top N         slowest ferry statements to print per scenario, to stderr (default 8)
  --results PATH  write the rows as JSON (default bench/results.json for a full run of 1M rows or
                  more, none for a smaller or partial run)
  --keep          keep the temp directory and print its path`;

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      repeat: { type: 'string', default: '3' },
      top: { type: 'string', default: '8' },
      only: { type: 'string', multiple: true, default: [] },
      results: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const count = (name: string, raw: string, min: number): number => {
    const value = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return value;
  };
  const known = SCENARIOS.map((s) => s.name);
  for (const name of values.only) {
    if (!known.includes(name)) throw new Error(`--only ${name}: no such scenario (${known.join(', ')})`);
  }
  const rows = count('rows', values.rows, 100);
  const full = rows >= 1_000_000 && values.only.length === 0;
  return {
    rows,
    seed: count('seed', values.seed, 0),
    repeat: count('repeat', values.repeat, 1),
    top: count('top', values.top, 0),
    only: values.only,
    keep: values.keep,
    results: values.results ?? (full ? join('bench', 'results.json') : undefined),
  };
}

async function duckDbVersion(): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll('SELECT version()');
    return String(reader.getRows()[0]?.[0] ?? '?');
  } finally {
    connection.disconnectSync();
    instance.closeSync();
  }
}

export function renderBenchTable(rows: readonly BenchRow[]): string {
  return table(
    ['work', 'before', 'now', 'reference', 'ratio', 'target', 'met', 'why not / note'],
    rows.map((r) => [
      r.work,
      r.before,
      r.now,
      r.reference,
      r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`,
      r.target,
      r.met ? 'yes' : 'no',
      r.note ?? '',
    ]),
  );
}

async function main(): Promise<void> {
  // The SDK's notice that releases from 2027 need Node 22 is noise in a benchmark report.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    console.log(USAGE);
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const context = createBenchContext(options, root);
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    if (options.keep) context.log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  };
  // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): clean up once, then exit.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleaned) return;
    context.log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const rows: BenchRow[] = [];
    for (const scenario of SCENARIOS) {
      if (options.only.length > 0 && !options.only.includes(scenario.name)) continue;
      rows.push(...(await scenario.run(context)));
    }
    const machine = {
      nproc: cpus().length,
      memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
      node: process.version,
      duckdb: await duckDbVersion(),
      memoryLimit: MEMORY_LIMIT,
    };
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
    console.log(
      [
        '',
        `ferry bench — ${options.rows.toLocaleString('en-US')} rows, seed ${options.seed}, medians of ${options.repeat}; ` +
          `${machine.nproc} CPUs, ${machine.memoryGiB} GiB, Node ${machine.node}, DuckDB ${machine.duckdb}, memory_limit ${MEMORY_LIMIT} for both sides`,
        `(${command})`,
        '',
        renderBenchTable(rows),
        ...(options.rows === TEN_MILLION
          ? []
          : [
              '',
              `The issue's 10M-row rows (the diff's day 2 and day 1, and peak RSS) come from a run at that size (≈25 min): ` +
                `npm run bench -- --rows ${TEN_MILLION} --only diff --only memory --only memory-dataset --repeat 1`,
            ]),
      ].join('\n'),
    );
    if (options.results !== undefined) {
      await mkdir(dirname(options.results), { recursive: true });
      const json = {
        command,
        date: new Date().toISOString(),
        machine,
        options: { rows: options.rows, repeat: options.repeat, seed: options.seed },
        rows,
      };
      await writeFile(options.results, `${JSON.stringify(json, null, 2)}\n`);
      context.log(`wrote ${options.results}`);
    }
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

await main();
