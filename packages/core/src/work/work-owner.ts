import type { Logger } from 'pino';
import type { ModuleError, TaskType } from '../errors/module-error.js';
import type { ModuleStatus } from './module-status.js';

/**
 * A module as the work managers (workers, tasks, microtasks, hooks) see it. The lifecycle
 * owns the state; managers only ask and count.
 */
export interface WorkOwner {
  readonly name: string;
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
  /**
   * Ends what {@link enter} counted; harmless when it is not counted. With `keep`, the record
   * stays in the module's list, uncounted and unlisted, so that entering it again is cheap
   * (a record reused run after run); {@link forget} it before dropping it.
   */
  leave(record: WorkRecord, keep?: boolean): void;
  /** Ends `record` if counted and drops what {@link leave} kept of it. */
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
  /** In its module's list (counted, or kept by `leave(record, true)`). */
  linked = false;
}
