import type { FailureState, FailureStatus } from '../failure/failure-state.js';
import { worse } from '../failure/failure-state.js';
import type { KernelStatus, ModuleStatus } from '../work/module-status.js';
import type { MicroTaskStats } from '../microtasks/microtask-slots.js';
import type { TaskInfo, TaskSchedulerStats } from '../tasks/task-stats.js';
import type { KernelCore } from './core.js';
import type { FleetSnapshot } from '../fleet/kernel-fleet.js';

/** A running worker in a snapshot. */
export interface WorkerSnapshot {
  name: string;
  service: boolean;
  restarts: number;
  lastError: string | null;
  runningSince: string;
}

/** A task in a snapshot. */
export type TaskSnapshot = TaskInfo;

/** One module in a snapshot. */
export interface ModuleSnapshot {
  name: string;
  status: ModuleStatus;
  enabled: boolean;
  enabledAsDependency: boolean;
  failure: FailureState;
  dependencies: string[];
  dependents: string[];
  events: Array<{ name: string; exposed: boolean }>;
  workers: WorkerSnapshot[];
  tasks: TaskSnapshot[];
  /** Work running now, by kind and name. */
  running: Array<{ kind: string; name: string; since: string }>;
  microtasks: number;
  /** What was still running when the last stop overran. */
  overran: string[];
  durations: { prepMs: number | null; startMs: number | null; stopMs: number | null };
  /** A singleton offline here because another replica leads it (or nobody yet). */
  standby: boolean;
}

/** `kernel.inspect()`: JSON-serialisable. */
export interface KernelSnapshot {
  status: KernelStatus;
  managed: boolean;
  at: string;
  /** The worst failure status of any module. */
  failure: FailureStatus;
  modules: Record<string, ModuleSnapshot>;
  microtasks: MicroTaskStats;
  tasks: TaskSchedulerStats;
  errors: {
    count: number;
    last: { module: string; taskName: string; taskType: string; message: string } | null;
  };
  /** This replica and its fleet (a fleet of one without a `fleet` option). */
  fleet: FleetSnapshot;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Builds the snapshot from the kernel's state; O(modules + work). */
export function buildSnapshot(
  core: KernelCore,
  status: KernelStatus,
  managed: boolean,
): KernelSnapshot {
  const modules: Record<string, ModuleSnapshot> = {};
  let failure: FailureStatus = 'none';
  const workersByModule = new Map<string, WorkerSnapshot[]>();
  for (const w of core.workers.list()) {
    const list = workersByModule.get(w.module) ?? [];
    list.push({
      name: w.name,
      service: w.service,
      restarts: w.restarts,
      lastError: w.lastError ?? null,
      runningSince: iso(w.since),
    });
    workersByModule.set(w.module, list);
  }
  for (const rt of core.runtimes) {
    const activities = rt.activities.list();
    failure = worse(failure, rt.failure.state.status);
    // defineProperty: a module named "__proto__" is a key like any other.
    Object.defineProperty(modules, rt.name, {
      enumerable: true,
      configurable: true,
      writable: true,
      value: {
        name: rt.name,
        status: rt.status,
        enabled: rt.enabled,
        enabledAsDependency: rt.enabledAsDependency,
        failure: { ...rt.failure.state },
        dependencies: [...rt.node.dependencies],
        dependents: [...rt.node.dependents],
        events: [...rt.node.events].map(([name, exposed]) => ({ name, exposed })),
        workers: workersByModule.get(rt.name) ?? [],
        tasks: core.scheduler.tasksOf(rt),
        running: activities.map((a) => ({ kind: a.kind, name: a.name, since: iso(a.since) })),
        microtasks: activities.filter((a) => a.kind === 'microtask').length,
        overran: [...rt.overran],
        durations: {
          prepMs: rt.durations.prep ?? null,
          startMs: rt.durations.start ?? null,
          stopMs: rt.durations.stop ?? null,
        },
        standby: core.fleet.isStandby(rt),
      } satisfies ModuleSnapshot,
    });
  }
  const last = core.reporter.last;
  const fleet = core.fleet.snapshot();
  failure = worse(failure, fleet.failure.status);
  return {
    status,
    managed,
    at: iso(core.clock.now()),
    failure,
    modules,
    microtasks: core.microtasks.stats(),
    tasks: core.scheduler.stats(),
    errors: {
      count: core.reporter.count,
      last:
        last === undefined
          ? null
          : {
              module: last.module,
              taskName: last.taskName,
              taskType: last.taskType,
              message: last.message,
            },
    },
    fleet,
  };
}
