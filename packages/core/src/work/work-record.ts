import type { TaskType } from '../errors/module-error.js';

/**
 * One piece of running module work, as a node of its module's list of running work (see
 * `WorkOwner.track`). A hot caller's own object can be the record (it declares these
 * fields), so counting a piece of work costs one object, not a record plus an end closure.
 */
export interface WorkRecord {
  readonly kind: TaskType;
  readonly name: string;
  /** Clock time it began. */
  readonly since: number;
  /** Links of the owner's list; `undefined` when made, then set only by the owner. */
  prev: WorkRecord | undefined;
  next: WorkRecord | undefined;
  /** `false` when made; the owner sets it once it stopped counting the record. */
  ended: boolean;
}
