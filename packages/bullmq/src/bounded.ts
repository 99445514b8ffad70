import type { Clock } from '@keel/core';

/** Thrown by {@link bounded} when `ms` passed first. */
export class BoundedTimeout extends Error {
  override readonly name = 'BoundedTimeout';
}

/**
 * Resolves as `work` does, or rejects with a `BoundedTimeout` after `ms` on `clock`.
 * Redis calls made while closing go through it: with `maxRetriesPerRequest: null` a call
 * made during an outage would otherwise wait for the server forever.
 */
export function bounded<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(
      () => reject(new BoundedTimeout(`${what} did not finish within ${ms} ms`)),
      ms,
    );
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(describe(err)));
      },
    );
  });
}

/** A message for any thrown value; never throws (cross-realm errors, null, throwing getters). */
export function describe(err: unknown): string {
  try {
    if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
      return (err as Error).message;
    }
    return String(err);
  } catch {
    return 'an unprintable error';
  }
}

/** A promise with its resolver, for "released by someone else" waits. */
export interface Latch {
  readonly promise: Promise<void>;
  open(): void;
}

export function latch(): Latch {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
