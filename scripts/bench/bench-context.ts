/**
 * What every scenario of `npm run bench` gets: the options, a temp root, a logger, and the generated
 * day-1/day-2 accounts files (made once, on first use, shared by the scenarios that need them).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateBenchData, type GeneratedData } from './generate-data.js';
import type { BenchRow } from './bench-row.js';
import { integer, megabytes } from './report.js';

export interface BenchOptions {
  rows: number;
  seed: number;
  /** Timed runs of each side, interleaved; medians are reported. */
  repeat: number;
  /** Slowest ferry statements to list per scenario. */
  top: number;
}

export interface BenchData extends GeneratedData {
  day1Path: string;
  day2Path: string;
}

export interface BenchContext {
  options: BenchOptions;
  /** Temp directory of this bench run; a scenario makes its own subdirectory. */
  root: string;
  log(message: string): void;
  data(): Promise<BenchData>;
}

/** A scenario: a name for `--only`, and the rows it adds to the table. */
export interface BenchScenario {
  name: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

export function createBenchContext(options: BenchOptions, root: string): BenchContext {
  const log = (message: string): void => {
    console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
  };
  let data: Promise<BenchData> | undefined;
  return {
    options,
    root,
    log,
    data() {
      data ??= (async () => {
        const dir = join(root, 'data');
        await mkdir(dir, { recursive: true });
        const day1Path = join(dir, 'accounts_20240501.csv');
        const day2Path = join(dir, 'accounts_20240502.csv');
        log(`generating ${integer(options.rows)} rows (seed ${options.seed}) in ${dir}`);
        const generated = await generateBenchData({
          rows: options.rows,
          seed: options.seed,
          day1Path,
          day2Path,
        });
        log(
          `day 1: ${integer(generated.day1.rows)} rows, ${megabytes(generated.day1.bytes)}; day 2: ${integer(generated.day2.rows)} rows, ${megabytes(generated.day2.bytes)}`,
        );
        return { ...generated, day1Path, day2Path };
      })();
      return data;
    },
  };
}
