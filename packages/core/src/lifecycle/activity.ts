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

  /**
   * Counts `name` as running in a record the caller reuses, until {@link end} or
   * {@link park}. A record parked here is counted again where it is (no relinking).
   */
  enter(entry: WorkRecord, kind: TaskType, name: string, now: number): void {
    entry.kind = kind;
    entry.name = name;
    this.resume(entry, now);
  }

  /** Counts `entry` again from `now`: a record entered before, with the same kind and name. */
  resume(entry: WorkRecord, now: number): void {
    if (!entry.ended) this.end(entry);
    entry.since = now;
    entry.ended = false;
    if (!entry.linked) this.link(entry);
    this.count++;
  }

  /** Stops counting `entry` and drops it from the list; harmless when it is not counted. */
  end(entry: WorkRecord): void {
    if (entry.ended) return;
    entry.ended = true;
    this.unlink(entry);
    if (--this.count === 0) this.wakeIdle();
  }

  /**
   * Stops counting `entry` but leaves it in the list (skipped there), so that entering it
   * again costs two stores: for records reused run after run (a hook's). {@link forget} it
   * before dropping it.
   */
  park(entry: WorkRecord): void {
    if (entry.ended) return;
    entry.ended = true;
    if (--this.count === 0) this.wakeIdle();
  }

  /** Ends `entry` if counted and takes it out of the list (parked or not). */
  forget(entry: WorkRecord): void {
    if (!entry.ended) this.end(entry);
    else this.unlink(entry);
  }

  private link(entry: WorkRecord): void {
    entry.linked = true;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
  }

  private unlink(entry: WorkRecord): void {
    if (!entry.linked) return;
    entry.linked = false;
    const { prev, next } = entry;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = undefined;
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
      if (!e.ended) out.push({ kind: e.kind, name: e.name, since: e.since });
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
