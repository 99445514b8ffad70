import {
  declarationOptionError,
  hookEventUnknownError,
  hookSourceMissingError,
} from '../errors/catalog.js';
import type { ModuleMeta } from '../decorators/metadata.js';
import { isModuleClass, readModuleMeta } from '../decorators/registry.js';
import type { Provider } from '../container/provider.js';
import type { EventBus } from '../events/event-bus.js';
import { refClass, type ModuleGraph } from '../graph/module-graph.js';
import type { ModuleNode } from '../graph/module-node.js';
import { validateTaskOptions, type TaskPlan } from '../specs/task-spec.js';
import { restartPolicy, type RestartPolicy } from '../specs/restart-policy.js';

/** A declared `@Worker`, checked: `policy` undefined means `restart: 'never'`. */
export interface WorkerPlan {
  readonly method: string | symbol;
  readonly name: string;
  readonly policy: RestartPolicy | undefined;
}

/** A declared `@Task` the local scheduler runs (not `fleet: 'once'`), checked and parsed. */
export interface DeclaredTaskPlan {
  readonly method: string | symbol;
  readonly name: string;
  readonly plan: TaskPlan;
}

/** A declared `@OnEvent`, its source resolved to a module name. */
export interface HookPlan {
  readonly method: string | symbol;
  readonly source: string;
  readonly event: string;
  readonly label: string;
  readonly fleet: boolean;
}

/**
 * What `Kernel.create` decided about one module, once: the metadata that drives its work
 * (the replacement's, when a test overrides the module) and its declared work, checked and
 * parsed. Wiring and the scheduler read it at every start and never check again.
 */
export interface ModulePlan {
  readonly meta: ModuleMeta;
  readonly workers: readonly WorkerPlan[];
  readonly tasks: readonly DeclaredTaskPlan[];
  readonly hooks: readonly HookPlan[];
}

const NONE: readonly never[] = Object.freeze([]);

const NO_WORK: ModuleMeta = {
  className: '',
  options: {},
  workers: [],
  tasks: [],
  hooks: [],
  jobs: [],
};

/** The metadata that drives a module's work: the replacement's if overridden by a module, else none. */
export function finalMeta(node: ModuleNode, override: Provider | undefined): ModuleMeta {
  if (override === undefined) return node.meta;
  const replacement =
    override.useClass ??
    ('useValue' in override ? (override.useValue as object | undefined)?.constructor : undefined);
  return isModuleClass(replacement) ? readModuleMeta(replacement) : NO_WORK;
}

/**
 * Checks a module's `@Worker`, `@Task` and `@OnEvent` declarations at `Kernel.create`,
 * before any constructor runs, so misuse fails fast with the culprit named; returns them
 * parsed. The decorators only record: this (and FleetWork.plan for `@Job` and fleet hooks)
 * is the one place their options are checked.
 */
export function planModule(
  name: string,
  meta: ModuleMeta,
  graph: ModuleGraph,
  events: EventBus,
): ModulePlan {
  // Most modules of a large graph declare no work: one shared plan shape, no arrays.
  if (meta.workers.length === 0 && meta.tasks.length === 0 && meta.hooks.length === 0) {
    return { meta, workers: NONE, tasks: NONE, hooks: NONE };
  }
  // Declaration errors name the class as written (`@Task Db.tick`), as the decorator would.
  const cls = meta.className;
  const workers: WorkerPlan[] = meta.workers.map((worker) => {
    const policy = restartPolicy(worker.options, `@Worker ${cls}.${String(worker.method)}`);
    const restart = worker.options.restart;
    if (restart !== undefined && restart !== 'on-error' && restart !== 'never') {
      throw declarationOptionError(
        `@Worker ${cls}.${String(worker.method)}`,
        'restart',
        `restart must be 'on-error' or 'never', got ${String(restart)}.`,
        name,
      );
    }
    return {
      method: worker.method,
      name: worker.options.name ?? String(worker.method),
      policy: restart === 'never' ? undefined : policy,
    };
  });
  const tasks: DeclaredTaskPlan[] = [];
  for (const task of meta.tasks) {
    const plan = validateTaskOptions(cls, String(task.method), task.options, name);
    // `fleet: 'once'` tasks are the fleet's (FleetWork plans them).
    if (!plan.once) {
      tasks.push({ method: task.method, name: task.options.name ?? String(task.method), plan });
    }
  }
  const hooks: HookPlan[] = meta.hooks.map((hook) => {
    const where = `@OnEvent on ${name}.${String(hook.method)}`;
    const declared = `@OnEvent on "${cls}.${String(hook.method)}"`;
    if (typeof hook.event !== 'string' || hook.event === '') {
      throw declarationOptionError(declared, 'event', 'needs an event name.', name);
    }
    const source =
      typeof hook.source === 'string' ? hook.source : graph.nameOf(refClass(hook.source));
    if (graph.find(source) === undefined) throw hookSourceMissingError(where, name, source);
    if (!events.declares(source, hook.event)) {
      throw hookEventUnknownError(where, name, source, hook.event);
    }
    return {
      method: hook.method,
      source,
      event: hook.event,
      label: hook.options.description ?? String(hook.method),
      fleet: hook.options.fleet !== undefined,
    };
  });
  return { meta, workers, tasks, hooks };
}
