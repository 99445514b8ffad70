import type { ModuleMeta } from '../decorators/metadata.js';
import { refClass } from '../graph/module-graph.js';
import { KeelError } from '../errors/keel-error.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import { startDeclaredTask, validateTaskOptions } from '../tasks/declared-task.js';
import { restartPolicy } from '../workers/restart-policy.js';
import type { ModuleGraph } from '../graph/module-graph.js';
import type { EventBus } from '../events/event-bus.js';
import type { WorkerRunner } from '../workers/worker-runner.js';
import type { TaskScheduler } from '../tasks/task-scheduler.js';
import type { SupervisionOptions } from '../decorators/metadata.js';
import type { WorkOwner } from '../context/work-owner.js';

/** What wiring needs of its kernel's core (the core passes itself). */
export interface WiringServices {
  readonly graph: ModuleGraph;
  readonly events: EventBus;
  readonly workers: WorkerRunner;
  readonly scheduler: TaskScheduler;
  startServiceWorker(
    owner: WorkOwner,
    name: string,
    fn: (signal: AbortSignal) => unknown,
    options: SupervisionOptions,
  ): void;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Checks a module's `@Worker`, `@Task` and `@OnEvent` declarations at `Kernel.create`,
 * before any constructor runs, so misuse fails fast with the culprit named.
 */
export function validateModuleWork(
  core: WiringServices,
  rt: ModuleRuntime,
  meta: ModuleMeta,
): void {
  for (const worker of meta.workers) {
    restartPolicy(worker.options, `@Worker ${rt.name}.${String(worker.method)}`);
    const restart = worker.options.restart;
    if (restart !== undefined && restart !== 'on-error' && restart !== 'never') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `@Worker ${rt.name}.${String(worker.method)}: restart must be 'on-error' or 'never', got ${String(restart)}.`,
        { module: rt.name },
      );
    }
  }
  for (const task of meta.tasks) validateTaskOptions(rt.name, String(task.method), task.options);
  for (const hook of meta.hooks) {
    const where = `@OnEvent on ${rt.name}.${String(hook.method)}`;
    const source =
      typeof hook.source === 'string' ? hook.source : core.graph.nameOf(refClass(hook.source));
    if (core.graph.find(source) === undefined) {
      throw new KeelError(
        'E_MODULE_MISSING',
        `${where} hooks module "${source}", which is not part of this kernel. Add it to Kernel.create({ modules }) or fix the name.`,
        { module: rt.name, details: { source } },
      );
    }
    if (!core.events.declares(source, hook.event)) {
      throw new KeelError(
        'E_EVENT_UNKNOWN',
        `${where} hooks event "${hook.event}" of module "${source}", which does not declare it. ` +
          `Declare it in @Module({ events: ['${hook.event}'] }) of "${source}", or fix the event name.`,
        { module: rt.name, details: { source, event: hook.event } },
      );
    }
  }
}

/** Binds a constructed module's hook methods into the event bus. */
export function registerHooks(core: WiringServices, rt: ModuleRuntime): void {
  for (const hook of rt.meta.hooks) {
    const source =
      typeof hook.source === 'string' ? hook.source : core.graph.nameOf(refClass(hook.source));
    const label = hook.options.description ?? String(hook.method);
    core.events.addHook(source, hook.event, {
      owner: rt,
      name: `hook ${source}/${hook.event} -> ${rt.name}.${label}`,
      description: label,
      fleet: hook.options.fleet !== undefined,
      // Looked up per call: a module built in start() has no instance yet.
      call: (data, signal) => (rt.instance[hook.method] as Method).call(rt.instance, data, signal),
    });
  }
}

/** Starts a module's declared workers and tasks, right after its start() resolved. */
export function launchDeclaredWork(core: WiringServices, rt: ModuleRuntime): void {
  const instance = rt.instance;
  for (const worker of rt.meta.workers) {
    const name = worker.options.name ?? String(worker.method);
    const method = instance[worker.method] as Method;
    const fn = (signal: AbortSignal): unknown => method.call(instance, signal);
    if (worker.options.restart === 'never') core.workers.start(rt, name, fn);
    else core.startServiceWorker(rt, name, fn, worker.options);
  }
  for (const task of rt.meta.tasks) {
    if (task.options.fleet === 'once') continue; // the fleet schedules it (FleetWork)
    const method = instance[task.method] as Method;
    startDeclaredTask(
      core.scheduler,
      rt,
      task.options.name ?? String(task.method),
      task.options,
      (signal, handle) => method.call(instance, signal, handle),
    );
  }
}
