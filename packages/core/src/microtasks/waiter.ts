import { QueueNode } from '../util/linked-queue.js';
import type { DeadlineLane } from '../time/deadline-lanes.js';

/**
 * A microtask waiting for a slot. It sits in its priority's queue (admission order) and in
 * the deadline lane of its max delay (expiry order) at the same time. A subclass carries
 * what the admission needs (a queued run carries its function and its caller's promise), so
 * waiting costs this one object and no closure.
 */
export abstract class Waiter extends QueueNode<Waiter> {
  lane: DeadlineLane<Waiter> | undefined = undefined;
  lanePrev: Waiter | undefined = undefined;
  laneNext: Waiter | undefined = undefined;
  /** When it runs anyway, in clock milliseconds (set when it is queued). */
  deadline = 0;

  /** Its slot is taken (already counted): go on. Called once. */
  abstract admit(): void;
}

/** A waiter that calls a function once admitted (resolves a waiting promise). */
export class FnWaiter extends Waiter {
  constructor(private readonly onAdmit: () => void) {
    super();
  }

  admit(): void {
    this.onAdmit();
  }
}
