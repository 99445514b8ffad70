import { DEFAULT_MAX_TIMERS, type FakeClock } from './fake-clock.js';

/** How far {@link driveUntil} may go. */
export interface DriveLimits {
  /** Fake time it may let pass, in ms; 0 only settles promise work. */
  timeoutMs: number;
  /** Timers it may fire at most, so a zero-delay loop cannot spin forever. */
  maxTimers?: number;
}

/** Why {@link driveUntil} stopped without `done()` becoming true. */
export interface DriveOutcome {
  done: boolean;
  /** Fake ms that passed. */
  elapsedMs: number;
  /** The next pending timer's due time, or undefined when the clock is idle. */
  nextTimerAt: number | undefined;
  /** True when it stopped at the timer cap. */
  capped: boolean;
}

/**
 * Settles promise work and, while `done()` is false, fires the clock's timers one at a
 * time, but only those due within `timeoutMs` of fake time. It never moves time past the
 * last timer it fired and always ends: when `done()` holds, when the clock is idle within
 * the budget, or at the timer cap.
 */
export async function driveUntil(
  clock: FakeClock,
  done: () => boolean,
  limits: DriveLimits,
): Promise<DriveOutcome> {
  const from = clock.now();
  const deadline = from + limits.timeoutMs;
  const cap = limits.maxTimers ?? DEFAULT_MAX_TIMERS;
  for (let fired = 0; ; fired++) {
    await clock.settle();
    const next = clock.nextTimerAt;
    const outcome = { elapsedMs: clock.now() - from, nextTimerAt: next, capped: false };
    if (done()) return { ...outcome, done: true };
    if (next === undefined || next > deadline) return { ...outcome, done: false };
    if (fired >= cap) return { ...outcome, done: false, capped: true };
    await clock.advanceTo(next);
  }
}

/** "the clock is idle" / "the next timer is due in 60000 ms" — for error messages. */
export function describeClock(outcome: DriveOutcome, now: number): string {
  if (outcome.capped) return `it fired the maximum number of timers`;
  if (outcome.nextTimerAt === undefined) return 'the fake clock is idle (no timer pending)';
  return `the next fake timer is due in ${outcome.nextTimerAt - now} ms, beyond the timeout`;
}
