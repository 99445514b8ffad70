/**
 * A schedule as a value (Effect's `Schedule` is the model): ONE step type,
 * `(now, attempt) → next | done`, for a task's cadence and a worker's restart backoff.
 * `now` is when the previous step ended, on the caller's clock (wall for cron, monotonic
 * otherwise); `attempt` counts steps from 1 (a task's runs, a worker's consecutive
 * failures). The result is the time of the next step, or `undefined`: done. Pure, so the
 * sequence of times can be listed in a test.
 */
export type Schedule = (now: number, attempt: number) => number | undefined;

/** Every `ms` after the previous step ended (`repeat()`, `@Task({ every })`). */
export function fixedInterval(ms: number): Schedule {
  return (now) => now + ms;
}

/** The first time strictly after `now` that `next` gives (a cron expression's). */
export function fromNext(next: (after: number) => number | undefined): Schedule {
  return (now) => next(now);
}

/** `delay(attempt)` after the previous step ended (a restart backoff). */
export function backoff(delay: (attempt: number) => number): Schedule {
  return (now, attempt) => now + delay(attempt);
}
