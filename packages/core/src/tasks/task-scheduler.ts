import type { WorkOwner } from '../work/work-owner.js';
import { KeelError } from '../errors/keel-error.js';
import { badArgumentError, notAFunctionError } from '../errors/catalog.js';
import type { Clock } from '../time/clock.js';
import { DeadlineLanes } from '../time/deadline-lanes.js';
import { fixedInterval } from '../time/schedule.js';
import type { TimerHeap } from '../time/timer-heap.js';
import { RunQueue } from './run-queue.js';
import type { TaskHandle, TaskOps } from './task-handle.js';
import { TaskRunner, type TimeslotSource } from './task-runner.js';
import {
  OwnerTasks,
  TaskState,
  type TaskGroup,
  TaskRun,
  type Cadence,
  type DueAction,
  type TaskFn,
  type TaskLink,
} from './task-state.js';
import { describeTask, type TaskInfo, type TaskSchedulerStats } from './task-stats.js';

/** What a {@link TaskScheduler} needs from its kernel. */
export interface TaskSchedulerOptions {
  clock: Clock;
  /** The kernel's timer heap: every schedule and deadline is one entry there. */
  timers: TimerHeap;
  /** Queued tasks yield to microtasks: they wait for an idle slot (at most 30s). */
  microtasks: TimeslotSource;
  /** Tasks from the queue running at once (`taskConcurrency`); default 1. */
  concurrency?: number | undefined;
  /**
   * Called for an internal failure (never for a task's own error, which is reported).
   * Default: reported on the task's module.
   */
  onError?: ((err: unknown) => void) | undefined;
}

/** Options of a task made by the kernel (for `@Task`). */
export interface NewTaskOptions {
  /** Where it goes when due; default `asap` (front of the prioritized queue). */
  whenDue?: DueAction | undefined;
  /** Makes it repeat from creation on: first due at `cadence(now)`. */
  cadence?: Cadence | undefined;
}

/**
 * The kernel's task scheduler: one queue (overdue, prioritized, normal) served by at most
 * `concurrency` run slots, and a schedule kept as one entry per task in the kernel's
 * {@link TimerHeap}, so any number of scheduled tasks costs one armed clock timer.
 */
export class TaskScheduler implements TaskOps {
  private readonly clock: Clock;
  private readonly timers: TimerHeap;
  private readonly queue = new RunQueue();
  /** Max-delay deadlines of queued runs: one lane (and timer entry) per max delay. */
  private readonly deadlines: DeadlineLanes<TaskRun>;
  private readonly runner: TaskRunner;
  /** Tasks with something pending or running, per module: what dropOwner and inspect see. */
  private readonly owners = new Map<WorkOwner, OwnerTasks>();
  /** What the tasks of a module's current run share (one record, not three fields each). */
  private readonly groups = new WeakMap<WorkOwner, TaskGroup>();
  private lastGroup: TaskGroup | undefined = undefined;
  private readonly concurrency: number;
  private started = false;
  private stopped = false;
  /**
   * Queue-and-run states of tasks that went idle, for the next ones to be queued (a few:
   * each still names its last task until reused, dropped when a module or the kernel stops).
   */
  private readonly spareRuns: TaskRun[] = [];
  private dispatchPending = false;
  private dispatching = false;
  private canceledReason: unknown = undefined;

  constructor(options: TaskSchedulerOptions) {
    this.clock = options.clock;
    this.timers = options.timers;
    this.concurrency = checkConcurrency(options.concurrency ?? 1);
    this.deadlines = new DeadlineLanes(options.timers, (run) => this.overdue(run), true);
    const onError = options.onError;
    this.runner = new TaskRunner({
      clock: options.clock,
      timers: options.timers,
      microtasks: options.microtasks,
      onError: (err, task) =>
        onError ? onError(err) : task.owner.report(err, task.taskName, 'task'),
      isRunnable: (task) => this.active(task) && task.owner.status === 'online',
      finished: (task) => this.finished(task),
      slotFreed: () => this.requestDispatch(),
    });
  }

  /**
   * Creates a task of `owner`; nothing runs until it is queued, scheduled or repeated.
   * @throws KeelError `E_TASK_NOT_ALLOWED` when the module is neither starting nor online.
   */
  newTask(owner: WorkOwner, name: string, fn: TaskFn, options: NewTaskOptions = {}): TaskHandle {
    // The status, not `onlineSoon`: a module planned to start is still refused in prep(),
    // so the rule is the same under start(), runCommand() and management.
    if (owner.status !== 'starting' && owner.status !== 'online') {
      throw new KeelError(
        'E_TASK_NOT_ALLOWED',
        `Module "${owner.name}" cannot create task "${name}" while it is ${owner.status}. ` +
          `Create tasks in start() or later, while the module is starting or online.`,
        { module: owner.name, details: { task: name, status: owner.status } },
      );
    }
    if (typeof fn !== 'function') {
      throw notAFunctionError(`Task "${name}" of module "${owner.name}"`, fn, {
        module: owner.name,
        details: { task: name },
      });
    }
    const task = new TaskState(this.groupOf(owner), name, fn);
    if (options.whenDue !== undefined) task.whenDue = options.whenDue;
    if (options.cadence !== undefined) {
      task.cadence = options.cadence;
      task.cadenceWall = true;
      this.schedule(task, options.cadence(this.clock.now(), 0));
    }
    return task;
  }

  private groupOf(owner: WorkOwner): TaskGroup {
    const generation = owner.signal;
    // Tasks come in runs of one module: no WeakMap lookup for each.
    const last = this.lastGroup;
    if (last !== undefined && last.owner === owner && last.generation === generation) return last;
    let group = this.groups.get(owner);
    if (group === undefined || group.generation !== generation) {
      group = { ops: this, owner, generation, tasks: undefined };
      this.groups.set(owner, group);
    }
    this.lastGroup = group;
    return group;
  }

  /** Lets queued tasks run (the kernel calls it when its start begins). */
  start(): void {
    if (this.stopped) return;
    this.started = true;
    this.requestDispatch();
  }

  /** Shutdown began: nothing new runs; queues and schedule are dropped. Running tasks go on. */
  stop(): void {
    this.stopped = true;
    for (const tasks of this.owners.values()) {
      for (const task of tasks.drain()) this.discard(task, undefined);
    }
    this.owners.clear();
    this.queue.clear();
    this.spareRuns.length = 0;
    this.lastGroup = undefined;
  }

  /** A module began to stop: drops its tasks for good and aborts its running ones. */
  dropOwner(owner: WorkOwner): void {
    if (this.lastGroup?.owner === owner) this.lastGroup = undefined;
    const tasks = this.owners.size === 0 ? undefined : this.owners.get(owner);
    if (tasks === undefined) {
      this.queue.forget(owner);
      return;
    }
    this.owners.delete(owner);
    const group = this.groups.get(owner);
    if (group !== undefined) group.tasks = undefined;
    const reason: unknown = owner.signal.aborted ? owner.signal.reason : this.cancelReason();
    for (const task of tasks.drain()) this.discard(task, reason);
    this.queue.forget(owner);
    // Spares still name the tasks they served: none keeps a stopped module's task alive.
    this.spareRuns.length = 0;
  }

  /** A task of `owner` that is queued, scheduled or running, by name (declared tasks always are). */
  find(owner: WorkOwner, name: string): TaskHandle | undefined {
    for (const task of this.tasksOfOwner(owner)) if (task.taskName === name) return task;
    return undefined;
  }

  /** Counts, for inspect. */
  stats(): TaskSchedulerStats {
    let scheduled = 0;
    let running = 0;
    for (const owner of this.owners.keys()) {
      for (const task of this.tasksOfOwner(owner)) {
        if (task.dueAt !== undefined) scheduled++;
        if (task.isRunning) running++;
      }
    }
    const slotsInUse = this.runner.slotsInUse;
    return {
      concurrency: this.concurrency,
      slotsInUse,
      queued: this.queue.stats(),
      scheduled,
      running,
    };
  }

  /** The tasks of `owner` that are queued, scheduled or running, for inspect. */
  tasksOf(owner: WorkOwner): TaskInfo[] {
    return this.tasksOfOwner(owner).map(describeTask);
  }

  /** @internal */
  enqueue(task: TaskState, how: DueAction): void {
    if (!this.active(task)) return;
    if (how === 'asap') this.queue.addFirst(task);
    else this.queue.add(task, how);
    // Keep an earlier deadline: queueing again never postpones a run.
    const run = task.run!; // made by the queue's link
    if (run.lane === undefined && task.maxDelayMs > 0) {
      run.deadline = whole(this.timers.now() + task.maxDelayMs);
      this.deadlines.add(run, task.maxDelayMs);
    }
    this.syncTimer(task);
    this.track(task);
    this.requestDispatch();
  }

  /**
   * @internal At wall time `at` (a Date's, a cron time); `undefined` un-queues: out of
   * queue and schedule, but not canceled.
   */
  schedule(task: TaskState, at: number | undefined): void {
    if (at === undefined) {
      this.queue.remove(task);
      task.dueAt = task.wallAt = undefined;
      this.dropDeadline(task);
    } else {
      if (!this.active(task)) return;
      task.dueAt = whole(this.timers.fromWall(at));
      task.wallAt = at;
    }
    this.syncTimer(task);
    this.track(task);
  }

  /** @internal The wall time of the task's next due time. */
  wallTime(task: TaskState): number | undefined {
    if (task.dueAt === undefined) return undefined;
    return task.wallAt ?? this.timers.toWall(task.dueAt);
  }

  /** At monotonic time `at` (an interval from now). */
  private scheduleIn(task: TaskState, at: number): void {
    if (!this.active(task)) return;
    task.dueAt = whole(at);
    task.wallAt = undefined;
    this.syncTimer(task);
    this.track(task);
  }

  /** @internal */
  repeat(task: TaskState, intervalMs: number): void {
    task.repeatMs = intervalMs;
    if (intervalMs === 0) {
      task.cadence = undefined;
      return;
    }
    task.cadence = fixedInterval(intervalMs);
    task.cadenceWall = false;
    this.scheduleIn(task, this.timers.now() + intervalMs);
  }

  /** @internal */
  takeRun(task: TaskState): TaskRun {
    return this.spareRuns.pop()?.reuse(task) ?? new TaskRun(task);
  }

  /** @internal */
  cancel(task: TaskState): void {
    this.discard(task, this.cancelReason());
  }

  private active(task: TaskState): boolean {
    const owner = task.owner;
    return (
      !task.isCanceled &&
      !this.stopped &&
      owner.onlineSoon &&
      task.generation === owner.signal &&
      !task.generation.aborted
    );
  }

  /** Final: out of queue, schedule and tracking; a running run's signal is aborted. */
  private discard(task: TaskState, reason: unknown): void {
    task.isCanceled = true;
    task.fn = undefined;
    this.queue.remove(task);
    task.dueAt = task.wallAt = undefined;
    this.dropDeadline(task);
    this.timers.cancel(task);
    if (task.busy) this.runner.abort(task, reason);
    this.track(task);
  }

  private requestDispatch(): void {
    // A dispatch in progress sees the change: its loop checks queue and slots again.
    if (this.dispatchPending || this.dispatching || !this.started || this.stopped) return;
    this.dispatchPending = true;
    queueMicrotask(() => this.dispatch());
  }

  /** Fills free run slots from the queue; coalesced, so a burst of queue() calls sorts first. */
  private dispatch(): void {
    this.dispatchPending = false;
    if (this.stopped || this.dispatching) return;
    this.dispatching = true;
    try {
      this.fillSlots();
    } finally {
      this.dispatching = false;
    }
  }

  /** Runs whose function returns no promise end within `launch`: the loop goes on with the next. */
  private fillSlots(): void {
    while (!this.stopped && this.runner.slotsInUse < this.concurrency) {
      const link = this.queue.next();
      if (link === undefined) return;
      const task = link.task;
      if (!this.active(task)) this.discard(task, undefined);
      else if (task.owner.status !== 'online') this.park(link);
      else {
        // Starting a run uses up its schedule and its deadline.
        this.queue.remove(task);
        task.dueAt = task.wallAt = undefined;
        this.dropDeadline(task);
        this.syncTimer(task);
        this.runner.launch(task);
      }
    }
  }

  /** Sets a task of a module that is not online yet aside, so it does not block the queue. */
  private park(link: TaskLink): void {
    if (!this.queue.park(link)) return;
    const task = link.task;
    const owner = task.owner;
    owner.whenOnline().then(
      (online) => {
        if (online) {
          this.queue.unpark(owner);
          this.requestDispatch();
          return;
        }
        this.queue.forget(owner);
        for (const other of this.tasksOfOwner(owner)) {
          if (!this.active(other)) this.discard(other, undefined);
        }
      },
      (err: unknown) => this.runner.onError(err, task),
    );
  }

  /** A run ended (or was dropped before it began). */
  private finished(task: TaskState): void {
    if (!this.active(task)) {
      this.discard(task, undefined);
    } else if (task.cadence !== undefined && task.dueAt === undefined && !task.queued) {
      // Repeat from the END of the run, unless the run scheduled or queued itself.
      if (task.cadenceWall) {
        const next = task.cadence(this.clock.now(), task.record?.runs ?? 0);
        if (next !== undefined) this.schedule(task, next);
      } else {
        const next = task.cadence(this.timers.now(), task.record?.runs ?? 0);
        if (next !== undefined) this.scheduleIn(task, next);
      }
    }
    this.track(task);
    this.requestDispatch();
  }

  /** @internal */
  onTimer(task: TaskState): void {
    if (!this.active(task)) {
      this.discard(task, undefined);
      return;
    }
    if (task.dueAt !== undefined && this.timers.reached(task.dueAt)) {
      if (task.wallAt !== undefined && task.wallAt > this.clock.now()) {
        // The wall clock stepped back since it was scheduled: wait for the wall time.
        task.dueAt = whole(this.timers.fromWall(task.wallAt));
      } else {
        task.dueAt = task.wallAt = undefined;
        this.enqueue(task, task.whenDue);
      }
    }
    this.syncTimer(task);
    this.track(task);
  }

  /** The max delay of a queued run passed: it moves ahead of the others. */
  private overdue(run: TaskRun): void {
    const task = run.task;
    if (!this.active(task)) {
      this.discard(task, undefined);
      return;
    }
    this.queue.promote(task);
    this.requestDispatch();
  }

  private dropDeadline(task: TaskState): void {
    const run = task.run;
    if (run?.lane !== undefined) this.deadlines.remove(run);
  }

  /** Keeps the task's timer entry at its due time. */
  private syncTimer(task: TaskState): void {
    const at = task.dueAt;
    if (at === undefined) this.timers.cancel(task);
    else if (task.index < 0 || task.at !== at) this.timers.move(task, at);
  }

  /**
   * Keeps `task` in its module's list while it is engaged (O(1) either way), and drops its
   * queue-and-run state once it is neither queued nor busy.
   */
  private track(task: TaskState): void {
    const run = task.run;
    if (run !== undefined && !task.busy && run.idle) {
      task.run = undefined;
      if (this.spareRuns.length < MAX_SPARE_RUNS) this.spareRuns.push(run);
    }
    const tracked = task.tracked;
    if (task.engaged && !task.isCanceled) {
      if (tracked) return;
      const group = task.group;
      let tasks = group.tasks;
      if (tasks === undefined) {
        const owner = group.owner;
        tasks = this.owners.get(owner);
        if (tasks === undefined) this.owners.set(owner, (tasks = new OwnerTasks()));
        group.tasks = tasks;
      }
      tasks.push(task);
    } else if (tracked) {
      const group = task.group;
      const list = group.tasks ?? this.owners.get(group.owner);
      if (list === undefined) return;
      list.remove(task);
      if (list.size === 0) {
        this.owners.delete(group.owner);
        group.tasks = undefined;
      }
    }
  }

  /** The engaged tasks of `owner`, in the order they became engaged (a snapshot). */
  private tasksOfOwner(owner: WorkOwner): TaskState[] {
    const tasks: TaskState[] = [];
    for (let task = this.owners.get(owner)?.head; task !== undefined; task = task.ownerNext) {
      tasks.push(task);
    }
    return tasks;
  }

  private cancelReason(): unknown {
    // One shared reason: no error with a stack per cancel.
    return (this.canceledReason ??= new DOMException('The task was canceled.', 'AbortError'));
  }
}

/**
 * A due time rounded UP to a whole millisecond (never early, as with `setTimeout`): whole
 * numbers are small integers to V8, stored in the task itself, where a fraction of a
 * millisecond (a `performance.now()` reading) would be a separate 16-byte number per task.
 */
function whole(at: number): number {
  return Math.ceil(at);
}

/** Enough for a burst of timers that fire together; the rest are made and dropped. */
const MAX_SPARE_RUNS = 256;

function checkConcurrency(value: number): number {
  if (Number.isInteger(value) && value >= 1) return value;
  const message = `taskConcurrency must be an integer of 1 or more, got ${String(value)}.`;
  throw badArgumentError(message, { details: { option: 'taskConcurrency', value } });
}

export type { TaskInfo, TaskSchedulerStats } from './task-stats.js';
