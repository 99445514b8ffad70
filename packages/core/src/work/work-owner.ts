import type { Logger } from 'pino';
import type { ModuleError, TaskType } from '../errors/module-error.js';
import type { ModuleStatus } from './module-status.js';

/**
 * A module as the work managers (workers, tasks, microtasks, hooks) see it. The lifecycle
 * owns the state; managers only ask and count.
 */
export interface WorkOwner {
  readonly name: string;
  /** Its module's position in the kernel's graph (0 … n−1): for lookups by array, not by name. */
  readonly index: number;
  readonly status: ModuleStatus;
  readonly logger: Logger;
  /** The signal of the module's current run; aborted when it begins to stop. */
  readonly signal: AbortSignal;
  /**
   * Resolves `true` once the module is online (at once if it is), `false` if it stops or
   * will not start first.
   */
  whenOnline(): Promise<boolean>;
  /** True while starting or online and not stopping: work may be accepted. */
  readonly onlineSoon: boolean;
  /**
   * Counts a piece of running work so the module's stop waits for it (and names it if it
   * overruns). Returns the end function; calling it more than once is harmless. `now` (the
   * clock's wall time) spares a clock read when a caller begins many at once.
   */
  begin(kind: TaskType, name: string, now?: number): () => void;
  /**
   * As {@link begin}, with a record the caller keeps from one piece of work to the next (a
   * task's runs): no closure and no record per run. Pair each with one {@link leave}.
   */
  enter(record: WorkRecord, kind: TaskType, name: string, now?: number): void;
  /** Ends what {@link enter} counted; harmless when it is not counted. */
  leave(record: WorkRecord): void;
  /**
   * As {@link leave}, but the record stays in the module's list, uncounted and unlisted, so
   * that {@link resume} counts it again with two stores (a record reused run after run: a
   * hook's); {@link forget} it before dropping it.
   */
  park(record: WorkRecord): void;
  /** Counts again, from `now`, a record {@link enter}ed before (same kind and name). */
  resume(record: WorkRecord, now: number): void;
  /** Ends `record` if counted and drops what {@link park} kept of it. */
  forget(record: WorkRecord): void;
  /** Reports a failure of module code as a `ModuleError` and returns it. */
  report(err: unknown, taskName: string, taskType: TaskType): ModuleError;
}

/**
 * One piece of running work in its module's list (owned by the module's activity set while
 * counted; `ended` otherwise). Callers of {@link WorkOwner.enter} keep one and reuse it.
 */
export class WorkRecord {
  kind: TaskType = 'task';
  name = '';
  /** Clock time it began. */
  since = 0;
  prev: WorkRecord | undefined = undefined;
  next: WorkRecord | undefined = undefined;
  ended = true;
  /** In its module's list (counted, or kept by `park(record)`). */
  linked = false;
}
