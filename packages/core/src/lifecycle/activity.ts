import type { TaskType } from '../errors/module-error.js';
import { WorkRecord } from '../work/work-owner.js';

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
  // An intrusive list, not a Set: begin/end run per hook and microtask, and hashing a fresh
  // object into a Set costs more than the rest of the record.
  private head: WorkRecord | undefined = undefined;
  private tail: WorkRecord | undefined = undefined;
  private count = 0;
  private idleWaiters: Array<() => void> | undefined = undefined;

  get size(): number {
    return this.count;
  }

  /** Counts `name` as running until the returned (idempotent) end function is called. */
  begin(kind: TaskType, name: string, now: number): () => void {
    const entry = new WorkRecord();
    this.enter(entry, kind, name, now);
    return () => this.end(entry);
  }

  /** Counts `name` as running in a record the caller reuses, until {@link end}. */
  enter(entry: WorkRecord, kind: TaskType, name: string, now: number): void {
    if (!entry.ended) this.end(entry);
    entry.kind = kind;
    entry.name = name;
    entry.since = now;
    entry.ended = false;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    this.count++;
  }

  /** Stops counting `entry`; harmless when it is not counted. */
  end(entry: WorkRecord): void {
    if (entry.ended) return;
    entry.ended = true;
    const { prev, next } = entry;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = undefined;
    if (--this.count === 0) this.wakeIdle();
  }

  /** Resolves once nothing runs (at once if nothing does). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** A snapshot of what runs now. */
  list(): Activity[] {
    const out: Activity[] = [];
    // Copies: a record is reused for the owner's next piece of work.
    for (let e = this.head; e !== undefined; e = e.next) {
      out.push({ kind: e.kind, name: e.name, since: e.since });
    }
    return out;
  }

  /** "worker pump, task cleanup" — for timeout reports. */
  describe(): string {
    return this.list()
      .map((a) => `${a.kind} "${a.name}"`)
      .join(', ');
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    if (waiters === undefined) return;
    this.idleWaiters = undefined;
    for (const wake of waiters) wake();
  }
}
