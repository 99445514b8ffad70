import type { TaskType } from '../errors/module-error.js';

/** One piece of running module work. */
export interface Activity {
  readonly kind: TaskType;
  readonly name: string;
  /** Clock time it began. */
  readonly since: number;
}

/**
 * The work a module has running (workers, tasks, microtasks, hooks, its own lifecycle
 * calls), so that its stop can wait for all of it and name what overruns.
 */
export class ActivitySet {
  private readonly running = new Set<Activity>();
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.running.size;
  }

  /** Counts `name` as running until the returned (idempotent) end function is called. */
  begin(kind: TaskType, name: string, now: number): () => void {
    const activity: Activity = { kind, name, since: now };
    this.running.add(activity);
    return () => {
      if (this.running.delete(activity) && this.running.size === 0) this.wakeIdle();
    };
  }

  /** Resolves once nothing runs (at once if nothing does). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A snapshot of what runs now. */
  list(): Activity[] {
    return [...this.running];
  }

  /** "worker pump, task cleanup" — for timeout reports. */
  describe(): string {
    return this.list()
      .map((a) => `${a.kind} "${a.name}"`)
      .join(', ');
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
