import type { Kernel, KernelSnapshot } from '@keel/core';
import type { FakeClock } from './fake-clock.js';

/** Module statuses a module may be left in after a shutdown. */
const AT_REST = new Set<string>(['offline', 'dead']);

/**
 * Everything a shut-down kernel should no longer hold, one line each: a kernel not stopped,
 * pending fake timers, modules not at rest, and running workers, tasks, microtasks or hooks.
 * Empty when nothing leaked.
 */
export function findLeaks(kernel: Kernel, clock: FakeClock): string[] {
  const leaks: string[] = [];
  if (kernel.status !== 'stopped') {
    leaks.push(
      `the kernel is "${kernel.status}", not "stopped": await kernel.shutdown() before checking for leaks`,
    );
  }
  const due = clock.pendingDueTimes();
  if (due.length > 0) {
    const now = clock.now();
    const list = due.slice(0, 5).map((at) => `${new Date(at).toISOString()} (in ${at - now} ms)`);
    const more = due.length > 5 ? `, and ${due.length - 5} more` : '';
    leaks.push(`${due.length} fake timer(s) still pending, due at ${list.join(', ')}${more}`);
  }
  const snapshot = kernel.inspect();
  for (const module of Object.values(snapshot.modules)) leaks.push(...moduleLeaks(module));
  leaks.push(...kernelWideLeaks(snapshot));
  return leaks;
}

function moduleLeaks(module: KernelSnapshot['modules'][string]): string[] {
  const leaks: string[] = [];
  const name = `module "${module.name}"`;
  if (!AT_REST.has(module.status)) leaks.push(`${name} is still "${module.status}"`);
  for (const work of module.running) {
    leaks.push(`${name} still runs ${work.kind} "${work.name}" (since ${work.since})`);
  }
  // Workers and tasks also appear in `running`; name each piece of work once.
  const listed = new Set(module.running.map((w) => `${w.kind}:${w.name}`));
  for (const worker of module.workers) {
    if (!listed.has(`worker:${worker.name}`)) {
      leaks.push(`${name} still has worker "${worker.name}"`);
    }
  }
  for (const task of module.tasks) {
    if (task.running) {
      if (!listed.has(`task:${task.name}`)) leaks.push(`${name} still runs task "${task.name}"`);
    } else if (task.queued) {
      leaks.push(`${name} still has task "${task.name}" queued`);
    } else if (task.nextRunAt !== null) {
      leaks.push(`${name} still has task "${task.name}" scheduled for ${task.nextRunAt}`);
    }
  }
  return leaks;
}

function kernelWideLeaks(snapshot: KernelSnapshot): string[] {
  const leaks: string[] = [];
  const { inUse, waiting } = snapshot.microtasks;
  if (inUse > 0) leaks.push(`${inUse} microtask slot(s) still in use`);
  const queued = waiting.medium + waiting.low;
  if (queued > 0) leaks.push(`${queued} microtask(s) still waiting for a slot`);
  return leaks;
}
