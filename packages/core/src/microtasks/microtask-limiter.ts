import type { WorkOwner } from '../work/work-owner.js';
import {
  maxDelayOf,
  priorityOf,
  type MicroTaskOptions,
  type SignalMicroTaskOptions,
} from './microtask-options.js';
import { MicroTaskSlots } from './microtask-slots.js';
import { isThenable } from '../util/thenable.js';
import { LinkedQueue } from '../util/linked-queue.js';
import { FnWaiter, Waiter } from './waiter.js';

/** A microtask body: gets the module's signal, returns a value or a promise. */
export type MicroTaskFn<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * The kernel-wide microtask limiter (one per kernel): admits short jobs of all modules under
 * one soft limit, counts each on its module so the module's stop waits for it, and reports
 * failures. The fast path (a free slot, nobody waiting) allocates no promise of its own.
 */
export class MicroTaskLimiter extends MicroTaskSlots {
  /**
   * Runs `fn` in a slot as a microtask of `owner`. Resolves with its value, or rejects with
   * its original error after reporting it as a `ModuleError`.
   */
  run<T>(
    owner: WorkOwner,
    name: string,
    fn: MicroTaskFn<T>,
    options?: MicroTaskOptions,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const now = this.admission(
        owner.name,
        name,
        options,
        () => new RunWaiter(this, owner, name, fn, resolve, reject),
      );
      if (now) this.execute(owner, name, fn, resolve, reject);
    });
  }

  /**
   * Admitted waiters run from one drain microtask, in admission order, not from the stack
   * of the release that admitted them: a long queue of synchronous functions would admit
   * each other recursively on one stack. One object per waiter, no closure.
   */
  private readonly ready = new LinkedQueue<Waiter>();
  private drainScheduled = false;
  private readonly drainReady = (): void => {
    this.drainScheduled = false;
    // Those admitted meanwhile run in the next drain (bounded, and fair to other microtasks).
    for (let n = this.ready.size; n > 0; n--) {
      const waiter = this.ready.shift() as RunWaiter<unknown>;
      this.execute(waiter.owner, waiter.name, waiter.fn, waiter.resolve, waiter.reject);
    }
  };

  /** @internal A queued run got its slot. */
  admitted(waiter: RunWaiter<unknown>): void {
    this.ready.push(waiter);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drainReady);
  }

  /**
   * Like {@link run}, in the background: a failure is reported, never an unhandled rejection.
   * Bad options throw at once.
   */
  start<T>(owner: WorkOwner, name: string, fn: MicroTaskFn<T>, options?: MicroTaskOptions): void {
    const waiting = this.waitFor(owner.name, name, options);
    const running =
      waiting === undefined
        ? this.executeNow(owner, name, fn)
        : waiting.then(() => this.executeNow(owner, name, fn));
    running.then(undefined, ignore);
  }

  /**
   * Takes a slot for work done elsewhere, counted on `owner` until the returned `done` is
   * called (once; later calls do nothing). Applies the default max delays.
   */
  async signal(owner: WorkOwner, options: SignalMicroTaskOptions = {}): Promise<() => void> {
    const name = options.name ?? 'signaled microtask';
    const waiting = this.waitFor(owner.name, name, options);
    if (waiting !== undefined) await waiting;
    const end = owner.begin('microtask', name);
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      end();
      this.release();
    };
  }

  /**
   * The one admission rule: checks the options (throwing on a bad one, even when no wait is
   * needed) and takes a slot. True when taken now; else the waiter `queued()` makes is
   * queued, and admitted once a slot is taken for it.
   */
  private admission(
    module: string,
    name: string,
    options: MicroTaskOptions | undefined,
    queued: () => Waiter,
  ): boolean {
    const priority = options === undefined ? 'medium' : priorityOf(options.priority, module, name);
    if (priority === 'high') {
      this.tryTake(priority);
      return true;
    }
    const delayMs = maxDelayOf(priority, options?.maxDelay, module, name);
    if (this.tryTake(priority)) return true;
    this.enqueue(priority, delayMs, queued());
    return false;
  }

  /** {@link admission} as a promise: `undefined` when the slot is taken now. */
  private waitFor(
    module: string,
    name: string,
    options: MicroTaskOptions | undefined,
  ): Promise<void> | undefined {
    let waiting: Promise<void> | undefined;
    const now = this.admission(module, name, options, () => {
      let waiter!: Waiter;
      waiting = new Promise<void>((resolve) => (waiter = new FnWaiter(resolve)));
      return waiter;
    });
    return now ? undefined : waiting;
  }

  private executeNow<T>(owner: WorkOwner, name: string, fn: MicroTaskFn<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.execute(owner, name, fn, resolve, reject));
  }

  /**
   * Runs `fn` in the slot taken for it and settles the caller's promise directly: a
   * synchronous function costs no promise of its own, an async one a single `then`. Only
   * an async one is recorded as work of its module: a synchronous one ends before anything
   * could wait for it.
   */
  private execute<T>(
    owner: WorkOwner,
    name: string,
    fn: MicroTaskFn<T>,
    resolve: (value: T) => void,
    reject: (err: unknown) => void,
  ): void {
    let result: T | PromiseLike<T>;
    try {
      result = fn(owner.signal);
    } catch (err) {
      owner.report(err, name, 'microtask');
      this.release();
      reject(err);
      return;
    }
    if (!isThenable(result)) {
      this.release();
      resolve(result);
      return;
    }
    const end = owner.begin('microtask', name);
    Promise.resolve(result).then(
      (value) => {
        this.finish(end);
        resolve(value);
      },
      (err: unknown) => {
        owner.report(err, name, 'microtask');
        this.finish(end);
        reject(err);
      },
    );
  }

  private finish(end: () => void): void {
    end();
    this.release();
  }
}

/** A `run()` waiting for its slot: everything its execution needs. */
class RunWaiter<T> extends Waiter {
  constructor(
    private readonly limiter: MicroTaskLimiter,
    readonly owner: WorkOwner,
    readonly name: string,
    readonly fn: MicroTaskFn<T>,
    readonly resolve: (value: T) => void,
    readonly reject: (err: unknown) => void,
  ) {
    super();
  }

  admit(): void {
    this.limiter.admitted(this as RunWaiter<unknown>);
  }
}

function ignore(): void {}
