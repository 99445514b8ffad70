import type { FakeClock } from '@keel/testing';

/** How a driven promise ended, and the fake time it took. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: unknown; readonly elapsedMs: number };

/**
 * Lets fake time pass, timer by timer, until `work` settles. Fails loudly instead of
 * hanging: when no timer is pending and the work is still unsettled (nothing could ever
 * settle it), or when more than `capMs` of fake time passed.
 */
export async function drive<T>(
  clock: FakeClock,
  work: Promise<T>,
  what: string,
  capMs: number,
): Promise<Outcome<T>> {
  const from = clock.now();
  let outcome: Outcome<T> | undefined;
  work.then(
    (value) => (outcome = { ok: true, value, elapsedMs: clock.now() - from }),
    (error: unknown) => (outcome = { ok: false, error, elapsedMs: clock.now() - from }),
  );
  await clock.settle(1);
  while (outcome === undefined) {
    const next = clock.nextTimerAt;
    if (next === undefined) {
      await clock.settle();
      if (outcome !== undefined) break;
      throw new Error(`${what} never settles: no fake timer is pending and it is still running`);
    }
    if (next - from > capMs) {
      throw new Error(`${what} did not settle within ${capMs} ms of fake time`);
    }
    await clock.advanceTo(next);
  }
  return outcome;
}

/** Lets `ms` of fake time pass (firing what falls due). */
export async function pass(clock: FakeClock, ms: number): Promise<void> {
  await clock.advance(ms);
}
