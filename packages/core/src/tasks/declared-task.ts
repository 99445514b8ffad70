import type { WorkOwner } from '../work/work-owner.js';
import type { TaskOptions } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import { toMs } from '../time/duration.js';
import { fromNext } from '../time/schedule.js';
import { CronSchedule } from './cron-schedule.js';
import type { TaskHandle } from './task-handle.js';
import type { TaskScheduler } from './task-scheduler.js';
import type { TaskFn } from './task-state.js';

/** `@Task` options, checked and converted: what {@link startDeclaredTask} acts on. */
export interface TaskPlan {
  everyMs: number | undefined;
  cron: CronSchedule | undefined;
  runOnStart: boolean;
  maxDelayMs: number | undefined;
  prioritized: boolean;
  /** `fleet: 'once'`: each due time runs on one replica of the fleet. */
  once: boolean;
}

/**
 * Checks `@Task` options without side effects; the kernel calls it at `Kernel.create`, so a
 * bad declaration fails before any module is constructed.
 * @throws KeelError `E_TASK_OPTIONS` (every with cron, a zero interval, wrong types, nothing
 * that would ever run it), `E_INVALID_DURATION`, `E_INVALID_CRON`.
 */
export function validateTaskOptions(
  moduleName: string,
  methodName: string,
  options: TaskOptions,
): TaskPlan {
  const what = `@Task ${moduleName}.${methodName}`;
  const fail = (message: string, option: string): KeelError =>
    new KeelError('E_TASK_OPTIONS', `${what}: ${message}`, {
      module: moduleName,
      details: { option },
    });
  const { every, cron, timezone, runOnStart, maxDelay, prioritized, fleet } = options;
  if (fleet !== undefined && fleet !== 'each' && fleet !== 'once') {
    throw fail(`fleet must be 'each' or 'once', got ${String(fleet)}.`, 'fleet');
  }
  if (fleet === 'once' && runOnStart !== undefined) {
    throw fail(
      "runOnStart cannot be used with fleet: 'once' (every replica starts; the fleet runs each due time once). Drop runOnStart, or use fleet: 'each'.",
      'runOnStart',
    );
  }
  if (every !== undefined && cron !== undefined) {
    throw fail('every and cron cannot be used together. Keep one of them.', 'every');
  }
  if (runOnStart !== undefined && typeof runOnStart !== 'boolean')
    throw fail('runOnStart must be a boolean.', 'runOnStart');
  if (prioritized !== undefined && typeof prioritized !== 'boolean') {
    throw fail('prioritized must be a boolean.', 'prioritized');
  }
  if (timezone !== undefined && cron === undefined)
    throw fail('timezone only applies to cron.', 'timezone');
  const everyMs = every === undefined ? undefined : toMs(every, `${what} every`);
  if (everyMs === 0) throw fail('every must be longer than 0. Use a duration like "5m".', 'every');
  if (cron !== undefined && typeof cron !== 'string') throw fail('cron must be a string.', 'cron');
  const schedule =
    cron === undefined ? undefined : CronSchedule.parse(cron, timezone, what, moduleName);
  if (everyMs === undefined && schedule === undefined && runOnStart !== true) {
    throw fail('it would never run. Give it every, cron or runOnStart: true.', 'every');
  }
  return {
    everyMs,
    cron: schedule,
    runOnStart: runOnStart === true,
    maxDelayMs: maxDelay === undefined ? undefined : toMs(maxDelay, `${what} maxDelay`),
    prioritized: prioritized === true,
    once: fleet === 'once',
  };
}

/**
 * Creates the task of a `@Task` method when its module starts: `every` repeats it (first run
 * one interval later), `cron` queues it at each cron time (the next one computed after each
 * run ends), `runOnStart` queues a first run at once.
 */
export function startDeclaredTask(
  scheduler: TaskScheduler,
  owner: WorkOwner,
  name: string,
  plan: TaskPlan,
  fn: TaskFn,
): TaskHandle {
  // Checked and parsed (cron included) once, at Kernel.create.
  const cron = plan.cron;
  const handle = scheduler.newTask(owner, name, fn, {
    whenDue: plan.prioritized ? 'prioritized' : 'normal',
    cadence: cron === undefined ? undefined : fromNext((after) => cron.next(after)),
  });
  if (plan.maxDelayMs !== undefined) handle.maxDelay(plan.maxDelayMs);
  if (plan.everyMs !== undefined) handle.repeat(plan.everyMs);
  if (plan.runOnStart) {
    if (plan.prioritized) handle.queuePrioritized();
    else handle.queue();
  }
  return handle;
}
