import type { SupervisionOptions } from '../decorators/metadata.js';
import type { EventBus } from '../events/event-bus.js';
import type { MicroTaskLimiter } from '../microtasks/microtask-limiter.js';
import type { TaskScheduler } from '../tasks/task-scheduler.js';
import type { TaskHandle } from '../tasks/task-handle.js';
import type { WorkerRunner } from '../workers/worker-runner.js';
import type { WorkOwner } from '../work/work-owner.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { ModuleRef } from '../decorators/metadata.js';
import type { Clock } from '../time/clock.js';
import type { TimerHeap } from '../time/timer-heap.js';
import type { FlagValue } from '../decorators/metadata.js';
import type { KernelFleet } from '../fleet/kernel-fleet.js';
import type { FleetWork } from '../fleet/fleet-work.js';

export type { MicroTaskOptions, SignalMicroTaskOptions } from '../microtasks/microtask-options.js';
export type { TaskHandle };

/** A task body: gets the run's signal and the task's own handle. */
export type TaskFn = (signal: AbortSignal, task: TaskHandle) => unknown;

/**
 * What a context itself asks of its kernel: the name of a module. `ctx.kernel` hands the
 * whole kernel out (its type is completed in kernel.ts, so that context imports nothing
 * from the kernel layer above it).
 */
export interface ContextKernel {
  module(ref: ModuleRef): { readonly name: string };
}

/**
 * The kernel services a module context delegates to: one object for every module of a
 * kernel (what differs per module is looked up by its runtime, when first asked).
 */
export interface ContextServices {
  /** The module's `ctx.kernel` (made on first read: most modules never read it). */
  kernelOf(runtime: ModuleRuntime): ContextKernel;
  readonly clock: Clock;
  readonly timers: TimerHeap;
  /** A module's parsed command-line flags. */
  flagsOf(module: string): Readonly<Record<string, FlagValue>>;
  readonly workers: WorkerRunner;
  readonly scheduler: TaskScheduler;
  readonly microtasks: MicroTaskLimiter;
  readonly events: EventBus;
  readonly fleet: KernelFleet;
  readonly fleetWork: FleetWork;
  startServiceWorker(
    owner: WorkOwner,
    name: string,
    fn: (signal: AbortSignal) => unknown,
    options: SupervisionOptions,
  ): void;
}
