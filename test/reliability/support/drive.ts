import type { FakeClock } from '@keel/testing';

/** How a promise ended, and the fake time it took. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number; readonly at: number }
  | {
      readonly ok: false;
      readonly error: unknown;
      readonly elapsedMs: number;
      readonly at: number;
    };

/** A promise observed from the moment it was made, so its rejection is never unhandled. */
export interface Tracked<T> {
  readonly outcome: Outcome<T> | undefined;
}

/**
 * Starts observing `work` now; `elapsedMs` counts fake monotonic time from now (wall-clock
 * steps do not count), `at` is the monotonic time it settled.
 */
export function track<T>(clock: FakeClock, work: Promise<T>): Tracked<T> {
  const from = clock.monotonic();
  const tracked: { outcome: Outcome<T> | undefined } = { outcome: undefined };
  work.then(
    (value) => {
      const at = clock.monotonic();
      tracked.outcome = { ok: true, value, elapsedMs: at - from, at };
    },
    (error: unknown) => {
      const at = clock.monotonic();
      tracked.outcome = { ok: false, error, elapsedMs: at - from, at };
    },
  );
  return tracked;
}

/**
 * Lets fake time pass, timer by timer, until the tracked work settles. Fails loudly instead
 * of hanging: when no timer is pending and the work is still unsettled (nothing could ever
 * settle it), or when more than `capMs` of fake time would pass.
 */
export async function settleUnder<T>(
  clock: FakeClock,
  tracked: Tracked<T>,
  what: string,
  capMs: number,
): Promise<Outcome<T>> {
  const from = clock.monotonic();
  await clock.settle(1);
  for (;;) {
    if (tracked.outcome !== undefined) return tracked.outcome;
    const next = clock.nextTimerAt;
    if (next === undefined) {
      await clock.settle();
      if (tracked.outcome !== undefined) return tracked.outcome;
      throw new Error(`${what} never settles: it still runs and no fake timer is pending`);
    }
    // Pending timers are due in wall time; how far away, in monotonic time.
    if (next - clock.now() + clock.monotonic() - from > capMs)
      throw new Error(`${what} did not settle within ${capMs} ms of fake time`);
    await clock.advanceTo(next);
  }
}
