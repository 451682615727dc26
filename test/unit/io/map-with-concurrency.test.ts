/**
 * The bounded pool behind the fetch step: never more than `limit` in flight, results in input order
 * whatever order tasks finish in, and on a failure no new task starts, the running ones are told to
 * stop and waited for, and the first failure is what the caller sees. Driven by promises the test
 * settles itself, never by time.
 */
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../engine/io/map-with-concurrency.js';

interface Gate {
  release: (value: number) => void;
  fail: (error: Error) => void;
  signal: AbortSignal;
}

/** A pool over `n` items whose tasks wait until the test releases them. */
function gatedPool(n: number, limit: number) {
  const gates = new Map<number, Gate>();
  let inFlight = 0;
  let maxInFlight = 0;
  const started: number[] = [];
  const result = mapWithConcurrency(
    Array.from({ length: n }, (_, i) => i),
    { limit },
    (item, _index, signal) =>
      new Promise<number>((resolve, reject) => {
        started.push(item);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const done = () => (inFlight -= 1);
        signal.addEventListener('abort', () => {
          done();
          reject(new Error(`aborted ${item}`));
        });
        gates.set(item, {
          release: (value) => (done(), resolve(value)),
          fail: (error) => (done(), reject(error)),
          signal,
        });
      }),
  );
  return { result, gates, started, inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` in flight and returns results in input order', async () => {
    const pool = gatedPool(10, 3);
    await settle();
    expect(pool.started).toEqual([0, 1, 2]);
    // Finish out of order: later items first.
    for (const item of [2, 1, 0, 5, 4, 3, 8, 7, 6, 9]) {
      while (!pool.gates.has(item)) await settle();
      pool.gates.get(item)?.release(item * 10);
      await settle();
      expect(pool.inFlight()).toBeLessThanOrEqual(3);
    }
    expect(await pool.result).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(pool.maxInFlight()).toBe(3);
  });

  it('on a failure starts nothing new, aborts the running tasks and throws the first error', async () => {
    const pool = gatedPool(10, 3);
    await settle();
    const cause = new Error('GET in/b.csv failed');
    pool.gates.get(1)?.fail(cause);
    await expect(pool.result).rejects.toBe(cause);
    expect(pool.gates.get(0)?.signal.aborted).toBe(true);
    expect(pool.gates.get(2)?.signal.aborted).toBe(true);
    expect(pool.started).toEqual([0, 1, 2]);
    expect(pool.inFlight()).toBe(0);
  });

  it('an empty list gives an empty result', async () => {
    expect(await mapWithConcurrency([], { limit: 4 }, () => Promise.resolve(1))).toEqual([]);
  });
});
