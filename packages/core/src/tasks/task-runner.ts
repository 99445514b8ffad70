import { endedByAbort } from '../errors/abort.js';
import type { Clock } from '../time/clock.js';
import type { Timer, TimerHeap } from '../time/timer-heap.js';
import { isThenable } from '../util/thenable.js';
import { RunRecord, type TaskRun, type TaskState } from './task-state.js';

/** How long a queued task waits for an idle microtask slot at most, as in portbase. */
export const TIMESLOT_WAIT_MS = 30_000;
/** A run holds its slot this long at most, then the queue may go on beside it. */
export const SLOT_HOLD_MS = 60_000;

/** Where queued tasks get their timeslot: the microtask limiter. */
export interface TimeslotSource {
  /** True when a task may run now without waiting. */
  idleNow(): boolean;
  waitForIdle(maxWaitMs: number): Promise<void>;
}

/** What a {@link TaskRunner} needs from its scheduler. */
export interface TaskRunnerHost {
  clock: Clock;
  timers: TimerHeap;
  microtasks: TimeslotSource;
  /** An internal failure around `task` (not the task's own error). */
  onError(err: unknown, task: TaskState): void;
  /** Checked after the timeslot wait: may the task still run? */
  isRunnable(task: TaskState): boolean;
  /** A run ended, or was dropped before its function was called. */
  finished(task: TaskState): void;
  /** A run slot was given back before its run ended (overrun, cancel). */
  slotFreed(): void;
}

/**
 * Runs one task at a time per call: holds a run slot, waits for a microtask timeslot, then
 * calls the function counted on its module, with a signal aborted on cancel or module stop.
 * Failures are reported on the module; nothing escapes as an unhandled rejection.
 *
 * Per run it allocates only what the run needs: the running tasks form one intrusive list
 * in start order, which is also the slot-hold lane (ONE timer entry for the earliest hold
 * deadline, re-aimed when it fires), and each module signal gets ONE abort listener for
 * all the runs of its tasks (no listener added and removed per run). A function that returns
 * no promise ends its run synchronously, and one that cannot read its arguments gets no
 * `AbortController` (see {@link mayReadArguments}).
 */
export class TaskRunner {
  private slots = 0;
  private first: TaskState | undefined = undefined;
  private last: TaskState | undefined = undefined;
  private holdTimer: Timer | undefined = undefined;
  /** Module signals that have the runner's abort listener. */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly host: TaskRunnerHost) {}

  /** Run slots held now. */
  get slotsInUse(): number {
    return this.slots;
  }

  /** Takes a slot and runs `task`: at once when the microtask limiter is idle. */
  launch(task: TaskState): void {
    task.busy = true;
    task.holdsSlot = true;
    this.slots++;
    // No promise and no microtask hop when the timeslot is free now (the usual case).
    if (this.host.microtasks.idleNow()) this.start(task);
    else void this.waitThenStart(task);
  }

  /** The task was canceled or dropped: abort its run and give its slot back. */
  abort(task: TaskState, reason: unknown): void {
    if (reason !== undefined && task.isRunning) task.record?.controller?.abort(reason);
    this.release(task);
  }

  /** Reports an internal failure around `task`. */
  onError(err: unknown, task: TaskState): void {
    this.host.onError(err, task);
  }

  private async waitThenStart(task: TaskState): Promise<void> {
    try {
      await this.host.microtasks.waitForIdle(TIMESLOT_WAIT_MS);
    } catch (err) {
      this.host.onError(err, task);
      this.end(task);
      return;
    }
    this.start(task);
  }

  /** Calls the function if the task may still run; else the run is dropped. */
  private start(task: TaskState): void {
    let ran = false;
    try {
      const fn = task.fn;
      if (fn !== undefined && this.host.isRunnable(task)) {
        ran = true;
        this.execute(task, fn);
      }
    } catch (err) {
      this.host.onError(err, task);
    } finally {
      if (!ran) this.end(task);
    }
  }

  /**
   * Runs the function; a run that returns no promise ends synchronously (no promise, no
   * microtask), one that returns a promise ends when it settles.
   */
  private execute(task: TaskState, fn: NonNullable<TaskState['fn']>): void {
    const { owner, name } = task;
    const run = (task.run ??= task.ops.takeRun(task));
    const record = (task.record ??= new RunRecord());
    const signal = this.signalOf(task, record);
    owner.enter(run.activity, 'task', name);
    const startedAt = this.host.timers.now();
    this.link(task, run, startedAt + SLOT_HOLD_MS);
    task.isRunning = true;
    record.runs++;
    let pending: PromiseLike<unknown> | undefined;
    try {
      const result = fn(signal, task);
      if (isThenable(result)) pending = result;
    } catch (err) {
      this.failed(task, record, err, signal);
    }
    if (pending === undefined) {
      this.finish(task, record, startedAt);
      return;
    }
    // Only a run that outlives this call can overrun its hold.
    this.aimHold(run.holdUntil);
    // A thenable whose `then` throws rejects this promise: reported as the run's error.
    Promise.resolve(pending).then(
      () => this.finish(task, record, startedAt),
      (err: unknown) => {
        this.failed(task, record, err, signal);
        this.finish(task, record, startedAt);
      },
    );
  }

  /**
   * The run's signal: the task's own (made once, kept from run to run) when its function
   * may read its arguments; else the module run's signal, which no one can see anyway.
   */
  private signalOf(task: TaskState, record: RunRecord): AbortSignal {
    if (record.controller !== undefined) return record.controller.signal;
    if (!task.readsSignal) return task.generation;
    this.watch(task.generation);
    return (record.controller = new AbortController()).signal;
  }

  private failed(task: TaskState, record: RunRecord, err: unknown, signal: AbortSignal): void {
    const { owner, name } = task;
    try {
      if (endedByAbort(err, signal)) {
        owner.logger.debug({ task: name }, 'task ended by its abort');
      } else {
        record.failures++;
        record.lastError = err;
        owner.report(err, name, 'task');
      }
    } catch (internal) {
      this.host.onError(internal, task);
    }
  }

  /** The run ended: never throws (it may run from a promise callback). */
  private finish(task: TaskState, record: RunRecord, startedAt: number): void {
    try {
      task.isRunning = false;
      record.lastDurationMs = this.host.timers.now() - startedAt;
      const run = task.run!;
      this.unlink(task, run);
      task.owner.leave(run.activity);
    } catch (err) {
      this.host.onError(err, task);
    }
    try {
      this.end(task);
    } catch (err) {
      this.host.onError(err, task);
    }
  }

  /** One abort listener per module signal: it aborts the running tasks of that module run. */
  private watch(generation: AbortSignal): void {
    if (this.watched.has(generation) || generation.aborted) return;
    this.watched.add(generation);
    generation.addEventListener(
      'abort',
      () => {
        for (let t = this.first; t !== undefined; t = t.run!.next) {
          if (t.generation === generation) t.record?.controller?.abort(generation.reason);
        }
      },
      { once: true },
    );
  }

  /** Appends a starting run to the running list. */
  private link(task: TaskState, run: TaskRun, holdUntil: number): void {
    run.holdUntil = holdUntil;
    run.prev = this.last;
    run.next = undefined;
    if (this.last === undefined) this.first = task;
    else this.last.run!.next = task;
    this.last = task;
  }

  /**
   * A run went on past its call: the hold timer is aimed at its hold unless it is aimed
   * already (at an earlier run's hold: it re-aims itself when it fires). A run that ends
   * within its call never arms it (no timer entry added and removed per run).
   */
  private aimHold(holdUntil: number): void {
    const timer = this.holdTimer;
    if (timer === undefined) this.holdTimer = this.host.timers.at(holdUntil, () => this.holdUp());
    else if (timer.index < 0) this.host.timers.move(timer, holdUntil);
  }

  private unlink(task: TaskState, run: TaskRun): void {
    const { prev, next } = run;
    if (prev === undefined) this.first = next;
    else prev.run!.next = next;
    if (next === undefined) this.last = prev;
    else next.run!.prev = prev;
    run.prev = run.next = undefined;
    if (this.first === undefined) this.host.timers.cancel(this.holdTimer);
  }

  /** Hold deadlines passed: those runs give their slots back; the timer moves to the next. */
  private holdUp(): void {
    const { timers } = this.host;
    const now = timers.now();
    for (let t = this.first; t !== undefined; t = t.run!.next) {
      if (!t.holdsSlot) continue;
      if (t.run!.holdUntil > now) {
        timers.move(this.holdTimer!, t.run!.holdUntil);
        return;
      }
      this.release(t);
    }
  }

  private end(task: TaskState): void {
    task.busy = false;
    if (task.holdsSlot) {
      task.holdsSlot = false;
      this.slots--;
    }
    this.host.finished(task);
  }

  private release(task: TaskState): void {
    if (!task.holdsSlot) return;
    task.holdsSlot = false;
    this.slots--;
    this.host.slotFreed();
  }
}
