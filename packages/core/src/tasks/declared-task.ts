import type { WorkOwner } from '../work/work-owner.js';
import { fromNext } from '../time/schedule.js';
import type { TaskPlan } from '../specs/task-spec.js';
import type { TaskHandle } from './task-handle.js';
import type { TaskScheduler } from './task-scheduler.js';
import type { TaskFn } from './task-state.js';

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
