import { endedByAbort } from '../errors/abort.js';
import type { Clock } from '../time/clock.js';
import type { TimerHeap } from '../time/timer-heap.js';
import { TaskRun, type TaskState } from './task-state.js';

/** How long a queued task waits for an idle microtask slot at most, as in portbase. */
export const TIMESLOT_WAIT_MS = 30_000;
/** A run holds its slot this long at most, then the queue may go on beside it. */
export const SLOT_HOLD_MS = 60_000;

/** Where queued tasks get their timeslot: the microtask limiter. */
export interface TimeslotSource {
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
 */
export class TaskRunner {
  private slots = 0;

  constructor(private readonly host: TaskRunnerHost) {}

  /** Run slots held now. */
  get slotsInUse(): number {
    return this.slots;
  }

  /** Takes a slot and runs `task` in the background. */
  launch(task: TaskState): void {
    task.busy = true;
    task.holdsSlot = true;
    this.slots++;
    void this.run(task);
  }

  /** The task was canceled or dropped: abort its run and give its slot back. */
  abort(task: TaskState, reason: unknown): void {
    if (reason !== undefined && task.running) task.run?.controller?.abort(reason);
    this.release(task);
  }

  /** Reports an internal failure around `task`. */
  onError(err: unknown, task: TaskState): void {
    this.host.onError(err, task);
  }

  private async run(task: TaskState): Promise<void> {
    let ran = false;
    try {
      await this.host.microtasks.waitForIdle(TIMESLOT_WAIT_MS);
      if (task.fn !== undefined && this.host.isRunnable(task)) {
        ran = true;
        await this.execute(task, task.fn);
      }
    } catch (err) {
      this.host.onError(err, task);
    } finally {
      if (!ran) this.end(task);
    }
  }

  private async execute(task: TaskState, fn: NonNullable<TaskState['fn']>): Promise<void> {
    const { owner, name } = task;
    const run = (task.run ??= new TaskRun());
    const controller = (run.controller ??= new AbortController());
    const signal = controller.signal;
    const moduleSignal = owner.signal;
    const onModuleAbort = (): void => controller.abort(moduleSignal.reason);
    moduleSignal.addEventListener('abort', onModuleAbort, { once: true });
    const end = owner.begin('task', name);
    const { timers } = this.host;
    if (run.slotTimer === undefined) {
      run.slotTimer = timers.after(SLOT_HOLD_MS, () => this.release(task));
    } else {
      timers.move(run.slotTimer, timers.now() + SLOT_HOLD_MS);
    }
    const startedAt = timers.now();
    task.running = true;
    run.runs++;
    try {
      await fn(signal, task.handle!);
    } catch (err) {
      if (endedByAbort(err, signal)) {
        owner.logger.debug({ task: name }, 'task ended by its abort');
      } else {
        run.failures++;
        run.lastError = err;
        owner.report(err, name, 'task');
      }
    } finally {
      task.running = false;
      run.lastDurationMs = timers.now() - startedAt;
      moduleSignal.removeEventListener('abort', onModuleAbort);
      end();
      this.end(task);
    }
  }

  private end(task: TaskState): void {
    task.busy = false;
    this.host.timers.cancel(task.run?.slotTimer);
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
