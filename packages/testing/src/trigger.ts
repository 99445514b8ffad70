import { ModuleContext, toMs, type Kernel, type ModuleHandle, type ModuleRef } from '@keel/core';
import type { WaitForOptions } from './wait-for.js';
import { describeClock, driveUntil } from './drive.js';
import type { FakeClock } from './fake-clock.js';

/** Options of `trigger()`: how much fake time its hooks may take (default 0). */
export type TriggerOptions = WaitForOptions;

/**
 * Triggers `event` of a module as the module itself would (`ctx.triggerEvent`), then lets
 * its hooks run to the end: promise work settles, and timers due within `timeout` of fake
 * time fire. Rejects, instead of hanging, when the hooks have not settled by then.
 *
 * The kernel offers no public way to reach another module's `ModuleContext`, so it is taken
 * from the module instance: the module must keep its injected context as a property (as
 * `constructor(private readonly ctx: ModuleContext)` does).
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
  const ctx = contextOf(handle);
  let settled = false;
  const delivered = ctx.triggerEvent(event, data).finally(() => {
    settled = true;
  });
  const outcome = await driveUntil(clock, () => settled, { timeoutMs });
  if (outcome.done) return delivered;
  throw new Error(
    `trigger: the hooks on "${handle.name}/${event}" did not finish within ${timeoutMs} ms of fake time; ` +
      `${describeClock(outcome, clock.now())}. Pass { timeout } to let fake time pass.`,
  );
}

/** The module's own context, found among its instance's properties. */
function contextOf(handle: ModuleHandle): ModuleContext {
  const instance = handle.instance;
  if (instance !== null && typeof instance === 'object') {
    for (const value of Object.values(instance)) {
      if (value instanceof ModuleContext && value.name === handle.name) return value;
    }
  }
  throw new Error(
    `trigger: cannot reach the ModuleContext of module "${handle.name}". Keep the injected context as a ` +
      `property of the module (constructor(private readonly ctx: ModuleContext)), or trigger the event from ` +
      `the module's own code.`,
  );
}
