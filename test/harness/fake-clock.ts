/**
 * A clock and timer that move only when a test says so, for the scheduler and the service: no
 * sleeping, no dependence on the machine's speed. `advanceTo` fires due timers in time order
 * (timers set by a firing timer included), and lets promise callbacks run between them.
 */
import type { ServeClock } from '../../engine/serve/serve-clock.js';

export interface FakeClock extends ServeClock {
  /** Moves time to `iso` (or by `ms`), firing every timer due on the way. */
  advanceTo(iso: string): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  pendingTimers(): number;
}

/** Lets pending promise callbacks (and the I/O-free work they start) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function createFakeClock(startIso: string): FakeClock {
  let now = Date.parse(startIso);
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const advance = async (target: number) => {
    await flush();
    for (;;) {
      let earliest: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of timers) if (!earliest || entry[1].at < earliest[1].at) earliest = entry;
      if (!earliest || earliest[1].at > target) break;
      timers.delete(earliest[0]);
      now = Math.max(now, earliest[1].at);
      earliest[1].callback();
      await flush();
    }
    now = Math.max(now, target);
    await flush();
  };
  return {
    now: () => new Date(now),
    setTimeout: (callback, ms) => {
      nextId += 1;
      timers.set(nextId, { at: now + Math.max(0, ms), callback });
      return nextId;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    advanceTo: (iso) => advance(Date.parse(iso)),
    advanceBy: (ms) => advance(now + ms),
    pendingTimers: () => timers.size,
  };
}
