/** One row of the benchmark table (npm run bench): printed, and written to bench/results.json and docs/benchmarks.md. */
export interface BenchRow {
  work: string;
  before: string;
  now: string;
  reference: string;
  ratio?: number;
  target: string;
  met: boolean;
  note?: string;
}
