import { toMs, type Kernel, type ModuleRef, type TaskHandle } from '@keel/core';
import type { WaitForOptions } from './wait-for.js';
import { describeClock, driveUntil } from './drive.js';
import type { FakeClock } from './fake-clock.js';

/** Options of `trigger()`: how much fake time its hooks may take (default 0). */
export type TriggerOptions = WaitForOptions;

/**
 * Triggers `event` of a module as the module itself would (`ctx.triggerEvent`), then lets
 * its hooks run to the end: promise work settles, and timers due within `timeout` of fake
 * time fire. Rejects, instead of hanging, when the hooks have not settled by then.
 */
export async function trigger(
  kernel: Kernel,
  clock: FakeClock,
  ref: ModuleRef,
  event: string,
  data: unknown,
  options: TriggerOptions = {},
): Promise<void> {
  const timeoutMs = toMs(options.timeout ?? 0, 'trigger option timeout');
  const handle = kernel.module(ref);
  let settled = false;
  const delivered = handle.triggerEvent(event, data).finally(() => {
    settled = true;
  });
  const outcome = await driveUntil(clock, () => settled, { timeoutMs });
  if (outcome.done) return delivered;
  throw new Error(
    `trigger: the hooks on "${handle.name}/${event}" did not finish within ${timeoutMs} ms of fake time; ` +
      `${describeClock(outcome, clock.now())}. Pass { timeout } to let fake time pass.`,
  );
}

/**
 * Runs a module's task now (front of the queue) and waits until that run ended: promise
 * work settles, and timers due within `timeout` of fake time fire.
 */
export async function runTask(
  kernel: Kernel,
  clock: FakeClock,
  ref: ModuleRef,
  name: string,
  options: TriggerOptions = {},
): Promise<TaskHandle> {
  const timeoutMs = toMs(options.timeout ?? 0, 'runTask option timeout');
  const handle = kernel.module(ref);
  const task = handle.task(name);
  if (task === undefined) {
    throw new Error(
      `runTask: module "${handle.name}" has no task "${name}" queued, scheduled or running ` +
        `(declared @Task tasks exist while the module is online).`,
    );
  }
  const runsBefore = task.runs;
  task.startASAP();
  const outcome = await driveUntil(clock, () => task.runs > runsBefore && !task.running, {
    timeoutMs,
  });
  if (outcome.done) return task;
  throw new Error(
    `runTask: task "${name}" of "${handle.name}" did not finish within ${timeoutMs} ms of fake time; ` +
      `${describeClock(outcome, clock.now())}. Pass { timeout } to let fake time pass.`,
  );
}
