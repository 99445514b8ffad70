import type { WorkOwner } from '../context/work-owner.js';
import {
  maxDelayOf,
  priorityOf,
  type MicroTaskOptions,
  type MicroTaskPriority,
  type SignalMicroTaskOptions,
} from './microtask-options.js';
import { MicroTaskSlots } from './microtask-slots.js';

/** Gives a microtask slot back; calling it again does nothing. */
export type Release = () => void;

/** A microtask body: gets the module's signal, returns a value or a promise. */
export type MicroTaskFn<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * The kernel-wide microtask limiter (one per kernel): admits short jobs of all modules under
 * one soft limit, counts each on its module so the module's stop waits for it, and reports
 * failures. The fast path (a free slot, nobody waiting) allocates no promise of its own.
 */
export class MicroTaskLimiter extends MicroTaskSlots {
  /** Waits for a slot and returns its idempotent release; for work outside any module. */
  acquire(priority: MicroTaskPriority = 'medium', maxDelay?: number): Promise<Release> {
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.admission('', 'acquire', { priority, maxDelay });
    } catch (err) {
      return rejected(err);
    }
    return waiting === undefined
      ? Promise.resolve(this.releaser())
      : waiting.then(() => this.releaser());
  }

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
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.admission(owner.name, name, options);
    } catch (err) {
      return rejected(err);
    }
    if (waiting === undefined) return this.execute(owner, name, fn);
    return waiting.then(() => this.execute(owner, name, fn));
  }

  /**
   * Like {@link run}, in the background: a failure is reported, never an unhandled rejection.
   * Bad options throw at once.
   */
  start<T>(owner: WorkOwner, name: string, fn: MicroTaskFn<T>, options?: MicroTaskOptions): void {
    const waiting = this.admission(owner.name, name, options);
    const running =
      waiting === undefined
        ? this.execute(owner, name, fn)
        : waiting.then(() => this.execute(owner, name, fn));
    running.then(undefined, ignore);
  }

  /**
   * Takes a slot for work done elsewhere, counted on `owner` until the returned `done` is
   * called (once; later calls do nothing). Applies the default max delays.
   */
  async signal(owner: WorkOwner, options: SignalMicroTaskOptions = {}): Promise<() => void> {
    const name = options.name ?? 'signaled microtask';
    const waiting = this.admission(owner.name, name, options);
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

  /** Checks the options and takes a slot: `undefined` when taken now, else a promise. */
  private admission(
    module: string,
    name: string,
    options: MicroTaskOptions | undefined,
  ): Promise<void> | undefined {
    const priority = options === undefined ? 'medium' : priorityOf(options.priority, module, name);
    if (priority === 'high') {
      this.tryTake(priority);
      return undefined;
    }
    // Checked before taking a slot, so a bad value fails even when no wait is needed.
    const delayMs = maxDelayOf(priority, options?.maxDelay, module, name);
    return this.tryTake(priority) ? undefined : this.wait(priority, delayMs);
  }

  private async execute<T>(owner: WorkOwner, name: string, fn: MicroTaskFn<T>): Promise<T> {
    const end = owner.begin('microtask', name);
    try {
      return await fn(owner.signal);
    } catch (err) {
      owner.report(err, name, 'microtask');
      throw err;
    } finally {
      end();
      this.release();
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }
}

function ignore(): void {}

/** A bad option (a KeelError) as a rejection: the run variants never throw synchronously. */
// eslint-disable-next-line @typescript-eslint/require-await
async function rejected(err: unknown): Promise<never> {
  throw err;
}
