/**
 * The clock and timer the service runs on. Injected, so scheduler tests move time forward by hand
 * (no sleeping) and the service never reads the host's time zone: every date is an instant.
 */
export interface ServeClock {
  now(): Date;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: ServeClock = {
  now: () => new Date(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Waits for `work`, or for `graceMs` on the clock, whichever comes first. */
export async function waitWithGrace(
  work: Promise<unknown>,
  clock: ServeClock,
  graceMs: number,
): Promise<'settled' | 'expired'> {
  let timer: unknown;
  const expired = new Promise<'expired'>((resolve) => {
    timer = clock.setTimeout(() => resolve('expired'), graceMs);
  });
  try {
    return await Promise.race([work.then(() => 'settled' as const), expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}
