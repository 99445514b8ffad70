import {
  ModuleStatus,
  toMs,
  type Duration,
  type Kernel,
  type ModuleError,
  type ModuleRef,
} from '@keel/core';
import { describeClock, driveUntil } from './drive.js';
import type { FakeClock } from './fake-clock.js';

/** Options of `waitFor()`. */
export interface WaitForOptions {
  /**
   * Fake time it may let pass (firing the timers due within it, in order) before it gives
   * up; default 0: it only lets pending promise work settle and never moves the clock.
   */
  timeout?: Duration;
}

const STATUSES = new Set<string>(Object.values(ModuleStatus));

/**
 * Resolves once the module reaches `status` (at once if it is there already), listening
 * to `kernel.on('status')`. Never hangs: it rejects, naming the module's current status and
 * the errors captured so far, when the status is not reached after promise work settled
 * and every timer due within `timeout` of fake time fired.
 */
export async function waitFor(
  kernel: Kernel,
  clock: FakeClock,
  errors: readonly ModuleError[],
  ref: ModuleRef,
  status: ModuleStatus,
  options: WaitForOptions = {},
): Promise<void> {
  if (!STATUSES.has(status)) {
    throw new TypeError(
      `waitFor: "${String(status)}" is not a module status; use one of ${[...STATUSES].join(', ')}.`,
    );
  }
  const timeoutMs = toMs(options.timeout ?? 0, 'waitFor option timeout');
  const handle = kernel.module(ref);
  if (handle.status === status) return;
  let reached = false;
  const off = kernel.on('status', (name, _from, to) => {
    if (name === handle.name && to === status) reached = true;
  });
  try {
    const outcome = await driveUntil(clock, () => reached, { timeoutMs });
    if (outcome.done) return;
    const seen =
      errors.length === 0
        ? 'no errors captured'
        : `errors so far:\n${errors.map((e) => `  - ${e.module} ${e.activity}: ${e.message}`).join('\n')}`;
    throw new Error(
      `waitFor: module "${handle.name}" did not become "${status}" (it is "${handle.status}") within ` +
        `${timeoutMs} ms of fake time; ${describeClock(outcome, clock.now())}. ` +
        `Pass { timeout } to let fake time pass, or check what the module waits for; ${seen}`,
    );
  } finally {
    off();
  }
}
