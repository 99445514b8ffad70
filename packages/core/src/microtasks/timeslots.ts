import type { Timer, TimerHeap } from '../time/timer-heap.js';

interface IdleWaiter {
  resolve: () => void;
  timer: Timer | undefined;
}

/**
 * Task timeslots: waits for the moment the microtask limiter is idle (a slot free and no
 * microtask waiting: lower than low priority), or a maximum wait. The limiter tells it
 * when it may have become idle; it takes no slot.
 */
export class Timeslots {
  private readonly waiters = new Set<IdleWaiter>();
  private readonly resolved = Promise.resolve();

  constructor(private readonly timers: TimerHeap) {}

  /** True while someone waits (the limiter checks idleness only then). */
  get waiting(): boolean {
    return this.waiters.size > 0;
  }

  /** Resolves at once when `idleNow`, else at {@link wake} or after `maxWaitMs`. */
  wait(idleNow: boolean, maxWaitMs: number): Promise<void> {
    if (idleNow) return this.resolved;
    return new Promise<void>((resolve) => {
      const entry: IdleWaiter = { resolve, timer: undefined };
      entry.timer = this.timers.after(maxWaitMs, () => {
        this.waiters.delete(entry);
        resolve();
      });
      this.waiters.add(entry);
    });
  }

  /** The limiter is idle (or shutting down): every waiter goes on. */
  wake(): void {
    for (const entry of this.waiters) {
      this.timers.cancel(entry.timer);
      entry.resolve();
    }
    this.waiters.clear();
  }
}
