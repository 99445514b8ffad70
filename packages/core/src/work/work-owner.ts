import type { Logger } from 'pino';
import type { ModuleError, TaskType } from '../errors/module-error.js';
import type { ModuleStatus } from './module-status.js';
import type { WorkRecord } from './work-record.js';

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
   * `begin()` for a record the caller made (a subclass carrying its own state): counts it
   * until {@link untrack}. One object per piece of work instead of a record and a closure.
   */
  track(record: WorkRecord): void;
  /** Stops counting a record given to {@link track}; calling it more than once is harmless. */
  untrack(record: WorkRecord): void;
  /** Reports a failure of module code as a `ModuleError` and returns it. */
  report(err: unknown, taskName: string, taskType: TaskType): ModuleError;
}
