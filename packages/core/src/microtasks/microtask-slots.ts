import { KeelError } from '../errors/keel-error.js';
import type { TimerHeap } from '../time/timer-heap.js';
import { DeadlineLanes } from '../time/deadline-lanes.js';
import { LinkedQueue } from '../util/linked-queue.js';
import type { MicroTaskPriority, WaitingPriority } from './microtask-options.js';
import { Timeslots } from './timeslots.js';
import type { Waiter } from './waiter.js';

/** What a {@link MicroTaskSlots} needs. */
export interface MicroTaskSlotsOptions {
  /** The kernel's timer heap (and so its clock): all max-delay deadlines go there. */
  timers: TimerHeap;
  /** Soft limit of microtasks running at once; values below 2 become 2. */
  limit: number;
}

/** A snapshot of the limiter, for `kernel.inspect()`. */
export interface MicroTaskStats {
  limit: number;
  inUse: number;
  waiting: { medium: number; low: number };
  /** Microtasks that ran because their max delay passed, since the kernel was created. */
  overdue: number;
}

/**
 * The slot accounting behind microtasks: a soft limit, FIFO queues per priority and max-delay
 * expiry; task timeslots are a {@link Timeslots} it tells when it is idle. A slot is taken synchronously when one is free and nobody waits
 * (no promise, no timer); waiters cost one node each and share one timer entry per max delay.
 */
export class MicroTaskSlots {
  private max: number;
  private used = 0;
  private overdueCount = 0;
  private draining = false;
  private readonly medium = new LinkedQueue<Waiter>();
  private readonly low = new LinkedQueue<Waiter>();
  private readonly lanes: DeadlineLanes<Waiter>;
  /** Task timeslots: the second job of the limiter, kept apart. */
  private readonly timeslots: Timeslots;
  private readonly timers: TimerHeap;

  constructor(options: MicroTaskSlotsOptions) {
    this.max = checkLimit(options.limit);
    this.timers = options.timers;
    this.lanes = new DeadlineLanes(options.timers, (waiter) => this.expire(waiter));
    this.timeslots = new Timeslots(options.timers);
  }

  /** The soft limit; values below 2 become 2. Raising it admits waiters at once. */
  get limit(): number {
    return this.max;
  }

  set limit(value: number) {
    this.max = checkLimit(value);
    this.pump();
  }

  /** Slots taken by running microtasks (high and overdue ones included, so it may exceed the limit). */
  get inUse(): number {
    return this.used;
  }

  /** True once {@link releaseAll} was called: nothing waits any more. */
  get shuttingDown(): boolean {
    return this.draining;
  }

  /** Takes a slot now if the priority needs not wait; the caller must {@link release} it. */
  tryTake(priority: MicroTaskPriority): boolean {
    if (priority === 'high' || this.draining) {
      this.used++;
      return true;
    }
    if (this.used >= this.max || this.medium.size > 0) return false;
    if (priority === 'low' && this.low.size > 0) return false;
    this.used++;
    return true;
  }

  /**
   * Queues a waiter without a promise: its `admit()` is called (synchronously, from whoever
   * frees the slot) once a slot is taken for it. Check {@link tryTake} first.
   */
  enqueue(priority: WaitingPriority, maxDelayMs: number, waiter: Waiter): void {
    waiter.deadline = this.timers.now() + maxDelayMs;
    (priority === 'medium' ? this.medium : this.low).push(waiter);
    this.lanes.add(waiter, maxDelayMs);
  }

  /** Gives a slot back and admits waiters. Pair each taken slot with exactly one call. */
  release(): void {
    this.used--;
    this.pump();
  }

  /** True when a task timeslot is free now: {@link waitForIdle} would resolve at once. */
  idleNow(): boolean {
    return this.draining || this.idle();
  }

  /**
   * Resolves when a slot is free and no microtask waits (a task timeslot: lower than low),
   * or after `maxWaitMs` at most. Takes no slot.
   */
  waitForIdle(maxWaitMs: number): Promise<void> {
    return this.timeslots.wait(this.draining || this.idle(), maxWaitMs);
  }

  /** Shutdown mode: admits every waiter now and every later one at once, for good. */
  releaseAll(): void {
    this.draining = true;
    this.lanes.clear();
    for (const queue of [this.medium, this.low]) {
      for (let waiter = queue.shift(); waiter !== undefined; waiter = queue.shift()) {
        this.used++;
        waiter.admit();
      }
    }
    this.timeslots.wake();
  }

  /** A JSON-serialisable snapshot. */
  stats(): MicroTaskStats {
    return {
      limit: this.max,
      inUse: this.used,
      waiting: { medium: this.medium.size, low: this.low.size },
      overdue: this.overdueCount,
    };
  }

  private idle(): boolean {
    return this.used < this.max && this.medium.size === 0 && this.low.size === 0;
  }

  private pump(): void {
    while (this.used < this.max) {
      const waiter = this.medium.shift() ?? this.low.shift();
      if (waiter === undefined) break;
      this.lanes.remove(waiter);
      this.used++;
      waiter.admit();
    }
    if (this.timeslots.waiting && this.idle()) this.timeslots.wake();
  }

  private expire(waiter: Waiter): void {
    waiter.queue?.remove(waiter);
    this.used++;
    this.overdueCount++;
    waiter.admit();
  }
}

function checkLimit(value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new KeelError(
      'E_INVALID_OPTION',
      `maxConcurrentMicroTasks: ${String(value)} is not a number. Use an integer of 2 or more.`,
      { details: { option: 'maxConcurrentMicroTasks', value } },
    );
  }
  return Math.max(2, Math.floor(value));
}
