import type { TimerHeap } from './timer-heap.js';

/** Outcome of {@link withDeadline}: `timedOut` means the work may still be running. */
export type DeadlineResult<T> = { timedOut: false; value: T } | { timedOut: true };

/**
 * Waits for `work` at most `ms` of clock time. The work is not cancelled on timeout (it
 * cannot be), but its later failure is swallowed here so it never becomes unhandled.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  timers: TimerHeap,
): Promise<DeadlineResult<T>> {
  if (ms === Infinity) return work.then((value) => ({ timedOut: false, value }));
  if (timers.isClosed) {
    // The kernel gave up waiting (shutdown overran): every deadline has passed.
    work.catch(() => undefined);
    return Promise.resolve({ timedOut: true });
  }
  return new Promise((resolve, reject) => {
    const timer = timers.after(ms, () => resolve({ timedOut: true }));
    work.then(
      (value) => {
        timers.cancel(timer);
        resolve({ timedOut: false, value });
      },
      (err: unknown) => {
        timers.cancel(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- pass module errors through as thrown
        reject(err);
      },
    );
  });
}

/** A `KeelError` `E_TIMEOUT` naming the culprit (the catalog's `stepTimeoutError`). */
export { stepTimeoutError as timeoutError } from '../errors/catalog.js';
