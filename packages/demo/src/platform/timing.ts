import { systemClock, type Clock } from '@keel/core';

/**
 * The demo modules' source of time. Module code asks it instead of `Date.now()` and
 * `setTimeout`, so a test can run the demo on the kernel's fake clock
 * (`{ provide: Timing, useValue: Timing.on(clock) }`).
 */
export class Timing {
  private clock: Clock = systemClock;

  /** A timing that reads `clock`. */
  static on(clock: Clock): Timing {
    const timing = new Timing();
    timing.clock = clock;
    return timing;
  }

  /** Milliseconds since the epoch. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts, so a
   * worker loop ends cleanly when its module stops.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(toError(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.clock.clearTimeout(handle);
        reject(toError(signal?.reason));
      };
      const handle = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

// The kernel aborts with a KeelError; anything else is wrapped so callers always get an Error.
function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('aborted', 'AbortError');
}
