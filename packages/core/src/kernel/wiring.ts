import type { EventBus } from '../events/event-bus.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import { startDeclaredTask } from '../tasks/declared-task.js';
import type { TaskScheduler } from '../tasks/task-scheduler.js';
import type { WorkerRunner } from '../workers/worker-runner.js';
import type { ModulePlan } from './plan.js';

type Method = (...args: unknown[]) => unknown;

/** What wiring needs of its kernel's core (the core passes itself). */
export interface WiringServices {
  readonly events: EventBus;
  readonly workers: WorkerRunner;
  readonly scheduler: TaskScheduler;
}

/** Binds a constructed module's hook methods into the event bus. */
export function registerHooks(core: WiringServices, rt: ModuleRuntime, plan: ModulePlan): void {
  for (const hook of plan.hooks) {
    const key = hook.method;
    // Read per instance, not once: a module built in start() has no instance yet (and a
    // restart may build another). Not per call: that keyed read, shared by every hook, is
    // megamorphic and cost a fifth of a trigger of ten async hooks.
    let instance: object | undefined;
    let method: Method | undefined;
    core.events.addHook(hook.source, hook.event, {
      owner: rt,
      name: `hook ${hook.source}/${hook.event} -> ${rt.name}.${hook.label}`,
      description: hook.label,
      fleet: hook.fleet,
      call: (data, signal) => {
        const current = rt.instance;
        if (current !== instance) {
          instance = current;
          method = current[key] as Method;
        }
        return method!.call(current, data, signal);
      },
    });
  }
}

/** Starts a module's declared workers and tasks, right after its start() resolved. */
export function launchDeclaredWork(
  core: WiringServices,
  rt: ModuleRuntime,
  plan: ModulePlan,
): void {
  const instance = rt.instance;
  for (const worker of plan.workers) {
    const method = instance[worker.method] as Method;
    const fn = (signal: AbortSignal): unknown => method.call(instance, signal);
    if (worker.policy === undefined) core.workers.start(rt, worker.name, fn);
    else core.workers.startService(rt, worker.name, fn, worker.policy);
  }
  for (const task of plan.tasks) {
    const method = instance[task.method] as Method;
    startDeclaredTask(core.scheduler, rt, task.name, task.plan, (signal, handle) =>
      method.call(instance, signal, handle),
    );
  }
}
