import { QueueNode } from './linked-queue.js';
import type { DeadlineLane } from './deadline-lanes.js';

/**
 * A microtask waiting for a slot. It sits in its priority's queue (admission order) and in
 * the deadline lane of its max delay (expiry order) at the same time.
 */
export class Waiter extends QueueNode<Waiter> {
  lane: DeadlineLane | undefined = undefined;
  lanePrev: Waiter | undefined = undefined;
  laneNext: Waiter | undefined = undefined;

  constructor(
    /** When it runs anyway, in clock milliseconds. */
    readonly deadline: number,
    /** Resolves the waiting promise; the slot is already counted. */
    readonly admit: () => void,
  ) {
    super();
  }
}
