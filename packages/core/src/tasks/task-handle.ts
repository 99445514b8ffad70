import { KeelError } from '../errors/keel-error.js';
import { toMs, type Duration } from '../time/duration.js';
import type { DueAction, TaskState } from './task-state.js';

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
}

/**
 * A task of a module: a named job run from the kernel-wide task queue, at most once at a
 * time. Nothing runs until it is queued, scheduled or repeated. Every method returns the
 * handle, so calls chain.
 * @example ctx.newTask('refresh', (signal) => refresh(signal)).repeat('5m').queue();
 */
export class TaskHandle {
  /** @internal Created by the scheduler; use `ctx.newTask()`. */
  constructor(
    private readonly task: TaskState,
    private readonly ops: TaskOps,
  ) {}

  /** The task's name. */
  get name(): string {
    return this.task.name;
  }

  /** When it is scheduled to be queued next (`schedule()`, `repeat()`, cron), or null. */
  get nextRunAt(): Date | null {
    const at = this.ops.wallTime(this.task);
    return at === undefined ? null : new Date(at);
  }

  /** True while its function runs. */
  get running(): boolean {
    return this.task.running;
  }

  /** True while it waits in the queue. */
  get queued(): boolean {
    return this.task.queued;
  }

  /** True once canceled (or dropped with its module): it never runs again. */
  get canceled(): boolean {
    return this.task.canceled;
  }

  /** How many runs started. */
  get runs(): number {
    return this.task.run?.runs ?? 0;
  }

  /** How many runs failed (a run ended by its abort is not a failure). */
  get failures(): number {
    return this.task.run?.failures ?? 0;
  }

  /** Duration of the last finished run in ms, or null. */
  get lastDurationMs(): number | null {
    return this.task.run?.lastDurationMs ?? null;
  }

  /** The error of the last failed run, if any. */
  get lastError(): unknown {
    return this.task.run?.lastError;
  }

  /** Appends it to the normal queue (once; a running task runs again after this run). */
  queue(): this {
    this.ops.enqueue(this.task, 'normal');
    return this;
  }

  /** Appends it to the prioritized queue, which runs before the normal one. */
  queuePrioritized(): this {
    this.ops.enqueue(this.task, 'prioritized');
    return this;
  }

  /** Puts it at the front of the prioritized queue. */
  startASAP(): this {
    this.ops.enqueue(this.task, 'asap');
    return this;
  }

  /**
   * Queues it (front of the prioritized queue) at `at`; `null` takes it out of the queue and
   * schedule (an un-queue, not a cancel). Starting a run uses a pending schedule up.
   */
  schedule(at: Date | null): this {
    if (at === null) {
      this.ops.schedule(this.task, undefined);
      return this;
    }
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new KeelError(
        'E_INVALID_DATE',
        `${this.describe()}: schedule() needs a valid Date or null, got ${String(at)}.`,
        { module: this.task.owner.name, details: { task: this.task.name } },
      );
    }
    this.ops.schedule(this.task, at.getTime());
    return this;
  }

  /**
   * Runs it every `interval`, the first time one interval from now and then one interval
   * after each run ends (unless the run scheduled itself). `0` stops repeating.
   */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- `| 0` documents how to stop
  repeat(interval: Duration | 0): this {
    const ms = toMs(interval, `repeat() of ${this.describe()}`);
    this.ops.repeat(this.task, ms);
    return this;
  }

  /** How long a queued run may wait before it jumps the queue (default 1m; 0: never). */
  maxDelay(delay: Duration): this {
    this.task.maxDelayMs = toMs(delay, `maxDelay() of ${this.describe()}`);
    return this;
  }

  /** Cancels it for good: takes it out of queue and schedule and aborts a running run. */
  cancel(): this {
    this.ops.cancel(this.task);
    return this;
  }

  private describe(): string {
    return `task "${this.task.name}" of module "${this.task.owner.name}"`;
  }
}
