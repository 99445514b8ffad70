import { withDeadline } from '../time/deadline.js';
import type { KernelCore } from './core.js';

/**
 * Stops every module of a kernel (dependents first), ends work begun in prep() by modules
 * that never started, then disposes provider values; all bounded by `shutdownTimeout`.
 * Past it, what still runs is reported and treated as offline. Resolves; never rejects.
 */
export async function stopEverything(
  core: KernelCore,
  busy: Promise<unknown>,
  failed: () => void,
): Promise<void> {
  const { lifecycle, options, timers } = core;
  let overran = false;
  const work = (async () => {
    await busy;
    for (const rt of core.runtimes) rt.unplan();
    const online = core.runtimes.filter((rt) => rt.status === 'online');
    // Modules that never started may still run work begun in prep().
    const idle = core.runtimes.filter((rt) => rt.status !== 'online' && rt.activities.size > 0);
    for (const rt of idle) rt.abortIdleWork();
    await Promise.all([
      lifecycle.stop(online, () => overran),
      ...idle.map((rt) => withDeadline(rt.activities.idle(), options.stopTimeoutMs, timers)),
    ]);
    // Provider values outlive every module that uses them.
    await core.container.disposeAll((err, token) => {
      failed();
      core.reportInternal(err, `dispose ${token}`, 'stop');
    });
  })();
  const result = await withDeadline(work, options.shutdownTimeoutMs, timers);
  if (!result.timedOut) return;
  overran = true;
  failed();
  const why = `Shutdown overran shutdownTimeout (${options.shutdownTimeoutMs} ms)`;
  // Dependents first, as a regular stop would go.
  for (const rt of [...core.runtimes].reverse()) lifecycle.abandonStop(rt, why);
}
