/**
 * A bounded pool: runs `task` over `items` with at most `limit` in flight, results in input order.
 * On the first failure no new task starts, the others are told to stop (their AbortSignal fires)
 * and are waited for — so nothing still writes into a temp dir the caller is about to remove — and
 * the first failure is thrown: the root cause, not the aborts it triggered.
 */
import { setMaxListeners } from 'node:events';

export interface ConcurrencyOptions {
  /** Tasks in flight at once (at least 1). */
  limit: number;
  /** Stops the pool as a failure would; the signal's reason is thrown. */
  signal?: AbortSignal;
}

export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  options: ConcurrencyOptions,
  task: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const controller = new AbortController();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    if (failure === undefined) failure = { error };
    controller.abort(error);
  };
  const onOuterAbort = (): void => fail(options.signal?.reason);
  if (options.signal?.aborted === true) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // Each task gets a signal of its own (the SDK and streams add listeners to it and may not remove
  // them), tied to the pool's by one listener that is removed when the task settles.
  setMaxListeners(options.limit + 10, controller.signal);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      const own = new AbortController();
      const forward = (): void => own.abort(controller.signal.reason);
      controller.signal.addEventListener('abort', forward, { once: true });
      let failed: { error: unknown } | undefined;
      try {
        results[index] = await task(items[index] as T, index, own.signal);
      } catch (error) {
        failed = { error };
      } finally {
        controller.signal.removeEventListener('abort', forward);
      }
      if (failed !== undefined) fail(failed.error);
    }
  };
  try {
    const workers = Math.max(1, Math.min(Math.floor(options.limit), items.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}
