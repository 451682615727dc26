import { cpuRatio, describe, type Summary } from './measure.js';
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

/** A row that compares ferry with a reference by wall-clock ratio (and, when given, a peak-RSS budget). */
export interface RatioRowInput {
  work: string;
  before: string;
  /** ferry's side and the reference's, medians of the same interleaved runs. */
  now: Summary;
  reference: Summary;
  referenceLabel: string;
  /** The input, for rows/s and MB/s. */
  size: { rows: number; bytes: number };
  /** The largest ratio that meets the target. */
  targetRatio: number;
  /** The peak RSS that meets the target, in bytes (with its text, e.g. `1.5 GB`). */
  rssBudget?: { bytes: number; text: string };
  /** What the note adds after the ratio and the CPU ratio. */
  extra?: string;
}

/** The bench row of a ratio: figures, target, met, and a note saying by how much it is over and why. */
export function ratioRow(input: RatioRowInput): BenchRow {
  const { now, reference, targetRatio, rssBudget } = input;
  const ratio = now.seconds / reference.seconds;
  const rssOk = rssBudget === undefined || now.peakRss <= rssBudget.bytes;
  const note = [
    ratio > targetRatio ? `${ratio.toFixed(2)}× the reference` : '',
    rssOk ? '' : `peak RSS over ${rssBudget?.text ?? ''}`,
    cpuRatio(now, reference),
    input.extra ?? '',
  ]
    .filter((part) => part !== '')
    .join('; ');
  return {
    work: input.work,
    before: input.before,
    now: describe(now, input.size),
    reference: `${input.referenceLabel}: ${describe(reference, input.size)}`,
    ratio,
    target: `≤ ${targetRatio}×${rssBudget === undefined ? '' : `, peak RSS ≤ ${rssBudget.text}`}`,
    met: ratio <= targetRatio && rssOk,
    ...(note === '' ? {} : { note }),
  };
}
