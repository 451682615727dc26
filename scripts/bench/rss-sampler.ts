/**
 * Peak resident set size of this process during a phase, sampled every 25 ms. DuckDB runs its queries
 * on its own threads, so the event loop stays free to sample. The figure is for the whole process
 * (memory an earlier phase left mapped counts too); the s3rver child is not included.
 */
export interface RssSampler {
  /** Peak RSS in bytes since start. */
  stop(): number;
}

export function sampleRss(intervalMs = 25): RssSampler {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
