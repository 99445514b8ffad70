import { WorkRecord, type WorkOwner } from '../work/work-owner.js';
import { QueueNode } from '../util/linked-queue.js';
import type { Schedule } from '../time/schedule.js';
import type { DeadlineLane, LaneNode } from '../time/deadline-lanes.js';
import type { TimerEntry } from '../time/timer-heap.js';
import { KeelError } from '../errors/keel-error.js';
import { toMs, type Duration } from '../time/duration.js';
import { mayReadArguments } from './signal-use.js';

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

/** What a {@link TaskHandle} asks of its scheduler. */
export interface TaskOps {
  enqueue(task: TaskState, how: DueAction): void;
  /** `at` in wall time (a Date's). */
  schedule(task: TaskState, at: number | undefined): void;
  /** The wall time a monotonic due time stands for. */
  wallTime(task: TaskState): number | undefined;
  repeat(task: TaskState, intervalMs: number): void;
  cancel(task: TaskState): void;
  /** The task's timer entry is due. */
  onTimer(task: TaskState): void;
  /** A queue-and-run state for `task` (a spare one when there is). */
  takeRun(task: TaskState): TaskRun;
}

/**
 * A task of a module: a named job run from the kernel-wide task queue, at most once at a
 * time. Nothing runs until it is queued, scheduled or repeated. Every method returns the
 * handle, so calls chain.
 * @example ctx.newTask('refresh', (signal) => refresh(signal)).repeat('5m').queue();
 */
export class TaskHandle {
  /** @internal Created by the scheduler (as its {@link TaskState}); use `ctx.newTask()`. */
  protected constructor() {}

  /** The state behind the handle: the handle IS its task's state (one object per task). */
  private get task(): TaskState {
    return this as unknown as TaskState;
  }

  /** The task's name. */
  get name(): string {
    return this.task.taskName;
  }

  /** When it is scheduled to be queued next (`schedule()`, `repeat()`, cron), or null. */
  get nextRunAt(): Date | null {
    const at = this.task.ops.wallTime(this.task);
    return at === undefined ? null : new Date(at);
  }

  /** True while its function runs. */
  get running(): boolean {
    return this.task.isRunning;
  }

  /** True while it waits in the queue. */
  get queued(): boolean {
    const task = this.task;
    return task.prioritized?.queue !== undefined || task.normal?.queue !== undefined;
  }

  /** True once canceled (or dropped with its module): it never runs again. */
  get canceled(): boolean {
    return this.task.isCanceled;
  }

  /** How many runs started. */
  get runs(): number {
    return this.task.record?.runs ?? 0;
  }

  /** How many runs failed (a run ended by its abort is not a failure). */
  get failures(): number {
    return this.task.record?.failures ?? 0;
  }

  /** Duration of the last finished run in ms, or null. */
  get lastDurationMs(): number | null {
    return this.task.record?.lastDurationMs ?? null;
  }

  /** The error of the last failed run, if any. */
  get lastError(): unknown {
    return this.task.record?.lastError;
  }

  /** Appends it to the normal queue (once; a running task runs again after this run). */
  queue(): this {
    this.task.ops.enqueue(this.task, 'normal');
    return this;
  }

  /** Appends it to the prioritized queue, which runs before the normal one. */
  queuePrioritized(): this {
    this.task.ops.enqueue(this.task, 'prioritized');
    return this;
  }

  /** Puts it at the front of the prioritized queue. */
  startASAP(): this {
    this.task.ops.enqueue(this.task, 'asap');
    return this;
  }

  /**
   * Queues it (front of the prioritized queue) at `at`; `null` takes it out of the queue and
   * schedule (an un-queue, not a cancel). Starting a run uses a pending schedule up.
   */
  schedule(at: Date | null): this {
    if (at === null) {
      this.task.ops.schedule(this.task, undefined);
      return this;
    }
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new KeelError(
        'E_INVALID_DATE',
        `${this.describe()}: schedule() needs a valid Date or null, got ${String(at)}.`,
        { module: this.task.owner.name, details: { task: this.task.taskName } },
      );
    }
    this.task.ops.schedule(this.task, at.getTime());
    return this;
  }

  /**
   * Runs it every `interval`, the first time one interval from now and then one interval
   * after each run ends (unless the run scheduled itself). `0` stops repeating.
   */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- `| 0` documents how to stop
  repeat(interval: Duration | 0): this {
    const ms = toMs(interval, `repeat() of ${this.describe()}`);
    this.task.ops.repeat(this.task, ms);
    return this;
  }

  /** How long a queued run may wait before it jumps the queue (default 1m; 0: never). */
  maxDelay(delay: Duration): this {
    this.task.maxDelayMs = toMs(delay, `maxDelay() of ${this.describe()}`);
    return this;
  }

  /** Cancels it for good: takes it out of queue and schedule and aborts a running run. */
  cancel(): this {
    this.task.ops.cancel(this.task);
    return this;
  }

  private describe(): string {
    return `task "${this.task.taskName}" of module "${this.task.owner.name}"`;
  }
}

/** A task's place in one queue; a task has one per queue kind, so it is in each at most once. */
export class TaskLink extends QueueNode<TaskLink> {
  constructor(
    /** Reassigned only when its spare {@link TaskRun} is reused. */
    public task: TaskState,
    readonly kind: QueueKind,
  ) {
    super();
  }
}

/**
 * A task's place in the queues and among running tasks, while it is queued or busy: its
 * queue places, its max-delay deadline and its place in the runner's list. Dropped once the
 * task is neither (most tasks fire once: nothing of it outlives the run, so a fired timer
 * leaves no young object to copy and promote).
 */
export class TaskRun implements LaneNode<TaskRun> {
  /** Its places in the two queues, made when first queued there. */
  prioritized: TaskLink | undefined = undefined;
  normal: TaskLink | undefined = undefined;
  /**
   * The max-delay deadline of its queued run (the timer heap's time), while it is in the
   * deadline lane of its max delay (one timer entry per lane, not one per queued run).
   */
  deadline = 0;
  lane: DeadlineLane<TaskRun> | undefined = undefined;
  lanePrev: TaskRun | undefined = undefined;
  laneNext: TaskRun | undefined = undefined;
  /** Its place in the runner's list of running tasks (start order), while it runs. */
  prev: TaskState | undefined = undefined;
  next: TaskState | undefined = undefined;
  /** When its run gives its slot back at the latest (the timer heap's time). */
  holdUntil = 0;
  /** Its run counted on its module (reused from run to run, and with the spare). */
  readonly activity = new WorkRecord();

  constructor(public task: TaskState) {}

  /** True when nothing refers to it any more: in no queue, lane or running list. */
  get idle(): boolean {
    return (
      this.lane === undefined &&
      this.prioritized?.queue === undefined &&
      this.normal?.queue === undefined &&
      this.prev === undefined &&
      this.next === undefined
    );
  }

  /** Hands a spare (idle) one over to `task`. */
  reuse(task: TaskState): this {
    this.task = task;
    if (this.prioritized !== undefined) this.prioritized.task = task;
    if (this.normal !== undefined) this.normal.task = task;
    return this;
  }
}

/** What a task's runs leave behind: statistics and the signal reused from run to run. */
export class RunRecord {
  runs = 0;
  failures = 0;
  lastDurationMs: number | undefined = undefined;
  lastError: unknown = undefined;
  controller: AbortController | undefined = undefined;
}

/**
 * Everything the scheduler keeps about one task; it is also the task's public
 * {@link TaskHandle} (one object per task, not two). `dueAt` is the pending
 * `schedule()`/repeat time: the task itself is its timer entry (`at`/`index`/`seq`). The
 * max-delay deadline of a queued run is in its {@link TaskRun}, in a deadline lane.
 * It sits in its module's list of engaged tasks through `ownerPrev`/`ownerNext` (no `Set`
 * entry per task, and a bit, not a field, says it is in it). Times are whole milliseconds (see the scheduler's `whole`).
 */
export class TaskState extends TaskHandle implements TimerEntry {
  /** Its place in its module's list of engaged tasks (the scheduler's), while `tracked`. */
  ownerPrev: TaskState | undefined = undefined;
  ownerNext: TaskState | undefined = undefined;
  /** Monotonic times (the timer heap's). */
  dueAt: number | undefined = undefined;
  /** The wall time `dueAt` stands for, when it came from `schedule(date)` or cron. */
  wallAt: number | undefined = undefined;
  /** Its place in the timer heap (see TimerEntry); index -1 while not in it. */
  at = 0;
  index = -1;
  seq = 0;
  /** While queued or busy (see {@link TaskRun}). */
  run: TaskRun | undefined = undefined;
  /** Made when it first runs (see {@link RunRecord}). */
  record: RunRecord | undefined = undefined;
  /** Its booleans, as bits of one small integer (see the accessors). */
  private bits = 0;
  /** How it repeats and waits; shared by every task that keeps the defaults. */
  private config: TaskConfig = DEFAULT_CONFIG;

  constructor(
    /** Its scheduler, module and module run: shared by the module run's tasks. */
    readonly group: TaskGroup,
    readonly taskName: string,
    public fn: TaskFn | undefined,
  ) {
    super();
  }

  get ops(): TaskOps {
    return this.group.ops;
  }

  get owner(): WorkOwner {
    return this.group.owner;
  }

  /** The module run it was created in: a task never outlives that run. */
  get generation(): AbortSignal {
    return this.group.generation;
  }

  get prioritized(): TaskLink | undefined {
    return this.run?.prioritized;
  }

  get normal(): TaskLink | undefined {
    return this.run?.normal;
  }

  /** The max-delay deadline of a queued run, while it has one. */
  get deadlineAt(): number | undefined {
    const run = this.run;
    return run?.lane === undefined ? undefined : run.deadline;
  }

  get isCanceled(): boolean {
    return (this.bits & CANCELED) !== 0;
  }

  set isCanceled(on: boolean) {
    this.bits = on ? this.bits | CANCELED : this.bits & ~CANCELED;
  }

  /** From being taken off the queue until its run ended (includes the timeslot wait). */
  get busy(): boolean {
    return (this.bits & BUSY) !== 0;
  }

  set busy(on: boolean) {
    this.bits = on ? this.bits | BUSY : this.bits & ~BUSY;
  }

  /** While its function runs. */
  get isRunning(): boolean {
    return (this.bits & RUNNING) !== 0;
  }

  set isRunning(on: boolean) {
    this.bits = on ? this.bits | RUNNING : this.bits & ~RUNNING;
  }

  get holdsSlot(): boolean {
    return (this.bits & HOLDS_SLOT) !== 0;
  }

  set holdsSlot(on: boolean) {
    this.bits = on ? this.bits | HOLDS_SLOT : this.bits & ~HOLDS_SLOT;
  }

  /** In its module's list of engaged tasks. */
  get tracked(): boolean {
    return (this.bits & TRACKED) !== 0;
  }

  set tracked(on: boolean) {
    this.bits = on ? this.bits | TRACKED : this.bits & ~TRACKED;
  }

  /** Its function may read its signal (checked once, at its first run). */
  get readsSignal(): boolean {
    let bits = this.bits;
    if ((bits & SIGNAL_CHECKED) === 0) {
      bits |= SIGNAL_CHECKED;
      if (this.fn === undefined || mayReadArguments(this.fn)) bits |= READS_SIGNAL;
      this.bits = bits;
    }
    return (bits & READS_SIGNAL) !== 0;
  }

  /** The cadence returns wall times (cron) rather than monotonic ones (`repeat`). */
  get cadenceWall(): boolean {
    return (this.bits & CADENCE_WALL) !== 0;
  }

  set cadenceWall(on: boolean) {
    this.bits = on ? this.bits | CADENCE_WALL : this.bits & ~CADENCE_WALL;
  }

  get repeatMs(): number {
    return this.config.repeatMs;
  }

  set repeatMs(ms: number) {
    this.ownConfig().repeatMs = ms;
  }

  get cadence(): Cadence | undefined {
    return this.config.cadence;
  }

  set cadence(cadence: Cadence | undefined) {
    this.ownConfig().cadence = cadence;
  }

  get maxDelayMs(): number {
    return this.config.maxDelayMs;
  }

  set maxDelayMs(ms: number) {
    this.ownConfig().maxDelayMs = ms;
  }

  get whenDue(): DueAction {
    return this.config.whenDue;
  }

  set whenDue(how: DueAction) {
    this.ownConfig().whenDue = how;
  }

  private ownConfig(): TaskConfig {
    if (this.config === DEFAULT_CONFIG) this.config = { ...DEFAULT_CONFIG };
    return this.config;
  }

  /** Its due time or deadline came (the timer heap calls it). */
  fire(): void {
    this.ops.onTimer(this);
  }

  /** Its place in the queue of `kind`, made on first use. */
  link(kind: QueueKind): TaskLink {
    const run = (this.run ??= this.ops.takeRun(this));
    return (run[kind] ??= new TaskLink(this, kind));
  }

  /** Anything pending or running: the scheduler must keep track of it. */
  get engaged(): boolean {
    return this.busy || this.dueAt !== undefined || this.queued;
  }
}

/** What the tasks of one module run share: their scheduler, module and module run. */
export interface TaskGroup {
  readonly ops: TaskOps;
  readonly owner: WorkOwner;
  /** The module's signal when they were created. */
  readonly generation: AbortSignal;
  /** The scheduler's list of the module's engaged tasks, while it has one (no map lookup). */
  tasks: OwnerTasks | undefined;
}

/** How a task repeats and waits; most tasks keep {@link DEFAULT_CONFIG}. */
interface TaskConfig {
  repeatMs: number;
  cadence: Cadence | undefined;
  maxDelayMs: number;
  whenDue: DueAction;
}

const DEFAULT_CONFIG: Readonly<TaskConfig> = Object.freeze({
  repeatMs: 0,
  cadence: undefined,
  maxDelayMs: 60_000,
  whenDue: 'asap',
});

const CANCELED = 1;
const BUSY = 2;
const RUNNING = 4;
const HOLDS_SLOT = 8;
const CADENCE_WALL = 16;
const SIGNAL_CHECKED = 32;
const READS_SIGNAL = 64;
const TRACKED = 128;

/** The engaged tasks of one module, in the order they became engaged (intrusive). */
export class OwnerTasks {
  head: TaskState | undefined = undefined;
  private tail: TaskState | undefined = undefined;
  size = 0;

  push(task: TaskState): void {
    task.tracked = true;
    task.ownerPrev = this.tail;
    task.ownerNext = undefined;
    if (this.tail === undefined) this.head = task;
    else this.tail.ownerNext = task;
    this.tail = task;
    this.size++;
  }

  /** Removes `task`, which must be in this list. */
  remove(task: TaskState): void {
    if (!task.tracked) return;
    const { ownerPrev: prev, ownerNext: next } = task;
    if (prev === undefined) this.head = next;
    else prev.ownerNext = next;
    if (next === undefined) this.tail = prev;
    else next.ownerPrev = prev;
    task.ownerPrev = task.ownerNext = undefined;
    task.tracked = false;
    this.size--;
  }

  /** Removes every task and returns them in order. */
  drain(): TaskState[] {
    const tasks: TaskState[] = [];
    for (let t = this.head; t !== undefined; t = this.head) {
      this.remove(t);
      tasks.push(t);
    }
    return tasks;
  }
}
