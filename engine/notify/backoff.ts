/**
 * Bounded retries with exponential backoff for notifications. The sleeper is injected, so tests
 * check the delays without waiting for them (and the suite never sleeps for real).
 */

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A receiver's Retry-After is honoured up to this long; past it, the usual backoff applies. */
export const RETRY_AFTER_MAX_MS = 60_000;

/** Delay before attempt `attempt + 1` (attempt is 1-based): 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffDelayMs(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0 && retryAfterMs <= RETRY_AFTER_MAX_MS)
    return retryAfterMs;
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
}

/** Retry-After as seconds or an HTTP date → milliseconds from `now`; undefined when absent or odd. */
export function parseRetryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}
