import type { WorkOwner } from '../context/work-owner.js';
import { QueueNode } from '../util/linked-queue.js';
import type { Schedule } from '../time/schedule.js';
import type { TimerEntry } from '../time/timer-heap.js';
import type { TaskHandle, TaskOps } from './task-handle.js';

/** A task body: gets a signal (aborted on cancel or module stop) and its own handle. */
export type TaskFn = (signal: AbortSignal, task: TaskHandle) => unknown;

/** The two queues a task can be put in by its module. */
export type QueueKind = 'prioritized' | 'normal';

/** Where a task goes when its scheduled time comes: `asap` is the front of the prioritized queue. */
export type DueAction = 'asap' | QueueKind;

/**
 * The next due time of a repeating task, from the time its run ended and its run count;
 * `undefined` stops it. A {@link Schedule}.
 */
export type Cadence = Schedule;

/** A task's place in one queue; a task has one per queue kind, so it is in each at most once. */
export class TaskLink extends QueueNode<TaskLink> {
  constructor(
    readonly task: TaskState,
    readonly kind: QueueKind,
  ) {
    super();
  }
}

/** What a task's runs leave behind: statistics and what its runner reuses from run to run. */
export class TaskRun {
  runs = 0;
  failures = 0;
  lastDurationMs: number | undefined = undefined;
  lastError: unknown = undefined;
  controller: AbortController | undefined = undefined;
  /** Its place in the runner's list of running tasks (start order), while it runs. */
  prev: TaskState | undefined = undefined;
  next: TaskState | undefined = undefined;
  /** When its run gives its slot back at the latest (the timer heap's time). */
  holdUntil = 0;
}

/**
 * Everything the scheduler keeps about one task. `dueAt` is the pending `schedule()`/repeat
 * time and `deadlineAt` the max-delay deadline of a queued run; both share ONE timer entry,
 * the task itself (`at`/`index`/`seq`), at the earlier of the two. As a {@link QueueNode} it
 * sits in its module's list of engaged tasks (no `Set` entry per task).
 */
export class TaskState extends QueueNode<TaskState> implements TimerEntry {
  /** Its places in the two queues, made when first queued there (most tasks never are). */
  prioritized: TaskLink | undefined = undefined;
  normal: TaskLink | undefined = undefined;
  handle: TaskHandle | undefined = undefined;
  canceled = false;
  /** From being taken off the queue until its run ended (includes the timeslot wait). */
  busy = false;
  /** While its function runs. */
  running = false;
  holdsSlot = false;
  /** Monotonic times (the timer heap's). */
  dueAt: number | undefined = undefined;
  deadlineAt: number | undefined = undefined;
  /** The wall time `dueAt` stands for, when it came from `schedule(date)` or cron. */
  wallAt: number | undefined = undefined;
  /** The cadence returns wall times (cron) rather than monotonic ones (`repeat`). */
  cadenceWall = false;
  /** Its place in the timer heap (see TimerEntry); index -1 while not in it. */
  at = 0;
  index = -1;
  seq = 0;
  repeatMs = 0;
  cadence: Cadence | undefined = undefined;
  maxDelayMs = 60_000;
  whenDue: DueAction = 'asap';
  /** Made at its first run: most scheduled tasks are canceled or rescheduled before. */
  run: TaskRun | undefined = undefined;

  constructor(
    readonly ops: TaskOps,
    readonly owner: WorkOwner,
    readonly name: string,
    public fn: TaskFn | undefined,
    /** The module run it was created in: a task never outlives that run. */
    readonly generation: AbortSignal,
  ) {
    super();
  }

  /** Its due time or deadline came (the timer heap calls it). */
  fire(): void {
    this.ops.onTimer(this);
  }

  /** Its place in the queue of `kind`, made on first use. */
  link(kind: QueueKind): TaskLink {
    return (this[kind] ??= new TaskLink(this, kind));
  }

  /** In a queue (or parked until its module is online). */
  get queued(): boolean {
    return this.prioritized?.queue !== undefined || this.normal?.queue !== undefined;
  }

  /** Anything pending or running: the scheduler must keep track of it. */
  get engaged(): boolean {
    return this.busy || this.dueAt !== undefined || this.queued;
  }
}
