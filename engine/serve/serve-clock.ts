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
