/**
 * Timing one side of a scenario: wall clock, CPU of this process (all threads: DuckDB runs in-process)
 * and peak RSS; medians over repeated runs, and one cell of the bench table from them.
 */
import { sampleRss } from './rss-sampler.js';
import { settleDisk } from './settle-disk.js';

export interface Measured<T> {
  value: T;
  /** Wall clock. */
  seconds: number;
  /** CPU time of this process, user + system (an s3rver child is not included). */
  cpuSeconds: number;
  /** Peak RSS of this process during the run. */
  peakRss: number;
}

export async function measure<T>(run: () => Promise<T>): Promise<Measured<T>> {
  const rss = sampleRss();
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    const value = await run();
    const used = process.cpuUsage(cpu);
    return {
      value,
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRss: rss.stop(),
    };
  } finally {
    rss.stop();
  }
}

/** One side of a comparison: the disk settled first (untimed, settle-disk.ts), then measured. */
export async function measureSide<T>(run: () => Promise<T>): Promise<Measured<T>> {
  settleDisk();
  return measure(run);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Medians of wall clock, CPU and peak RSS over runs (each median taken on its own). */
export interface Summary {
  seconds: number;
  cpuSeconds: number;
  peakRss: number;
  runs: number;
}

export function summarize(
  runs: ReadonlyArray<{ seconds: number; cpuSeconds: number; peakRss: number }>,
): Summary {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakRss: median(runs.map((r) => r.peakRss)),
    runs: runs.length,
  };
}

/** "3.21 s, CPU 5.10 s, RSS 812 MB, 311k rows/s, 35.8 MB/s" — one side of a bench row. */
export function describe(summary: Summary, work: { rows: number; bytes: number }): string {
  const perSecond = (n: number): string => {
    const rate = n / summary.seconds;
    return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(0)}k`;
  };
  return (
    `${summary.seconds.toFixed(2)} s, CPU ${summary.cpuSeconds.toFixed(2)} s, ` +
    `RSS ${(summary.peakRss / 1024 / 1024).toFixed(0)} MB, ${perSecond(work.rows)} rows/s, ` +
    `${(work.bytes / 1024 / 1024 / summary.seconds).toFixed(1)} MB/s`
  );
}

/**
 * "CPU 1.55×": the ratio of CPU seconds, for the note. On a machine shared with other work the wall
 * clock ratio swings with the load; the CPU ratio shows how much more work one side does.
 */
export function cpuRatio(now: Summary, reference: Summary): string {
  return `CPU ${(now.cpuSeconds / reference.cpuSeconds).toFixed(2)}×`;
}
