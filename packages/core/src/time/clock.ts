/**
 * The kernel's source of time. Everything time-based in Keel (the task schedule, backoff,
 * max delays, phase deadlines) reads it, so tests can swap in a fake one.
 *
 * Two readings: `now()` is wall time (cron, `schedule(date)`, timestamps), `monotonic()`
 * never jumps (deadlines, intervals, backoff), so an NTP step of the wall clock neither
 * freezes nor bunches them.
 */
export interface Clock {
  /** Milliseconds since the epoch (wall time: may step back or forward). */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin that only moves forward with real time, like
   * `performance.now()`. Optional for backwards compatibility: a clock without it has its
   * deadlines and intervals measured on `now()` (wall steps then shift them).
   */
  monotonic?(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()`, `performance.now()` and Node's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
});

/** The monotonic reading of `clock`, or its wall time when it has none. */
export function monotonicOf(clock: Clock): () => number {
  return typeof clock.monotonic === 'function' ? () => clock.monotonic!() : () => clock.now();
}
