/**
 * How often a sequence's next file is expected, from the timestamps in its names: the median gap,
 * rounded to a duration people write (15m, 1h, 6h, 24h, 7d …), and a grace of an eighth of it.
 * Pure; a sequence of one file has no cadence (the proposal leaves `sequence:` out).
 */

const MINUTE_MS = 60_000;

const STEPS_MS = [
  1,
  5,
  10,
  15,
  30,
  60,
  2 * 60,
  3 * 60,
  4 * 60,
  6 * 60,
  8 * 60,
  12 * 60,
  24 * 60,
  48 * 60,
  7 * 24 * 60,
].map((minutes) => minutes * MINUTE_MS);

/** A ferry duration (`^[1-9][0-9]*(m|h|d)$`) for a whole number of minutes. */
export function formatCadence(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / MINUTE_MS));
  if (minutes % (7 * 24 * 60) === 0 && minutes >= 7 * 24 * 60) return `${minutes / (24 * 60)}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** The step nearest to `ms` on a log scale. */
export function roundCadence(ms: number): number {
  let best = STEPS_MS[0] ?? MINUTE_MS;
  for (const step of STEPS_MS) {
    if (Math.abs(Math.log(step / ms)) < Math.abs(Math.log(best / ms))) best = step;
  }
  return best;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * `expectEvery` and `grace` for timestamps in order, or undefined with fewer than two distinct ones.
 * Irregular gaps add a note for the user.
 */
export function inferCadence(
  timestamps: readonly Date[],
  notes: string[],
): { expectEvery: string; grace: string } | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < timestamps.length; i += 1) {
    const gap = (timestamps[i]?.getTime() ?? 0) - (timestamps[i - 1]?.getTime() ?? 0);
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return undefined;
  const typical = median(gaps);
  const expectEvery = roundCadence(typical);
  const grace = Math.max(MINUTE_MS, Math.round(expectEvery / 8 / MINUTE_MS) * MINUTE_MS);
  const longest = Math.max(...gaps);
  if (longest > 2 * expectEvery) {
    notes.push(
      `Files usually come every ${formatCadence(expectEvery)}, but once ${formatCadence(longest)} passed between two: check sequence.expect_every.`,
    );
  }
  return { expectEvery: formatCadence(expectEvery), grace: formatCadence(grace) };
}
