import 'reflect-metadata';

export { Kernel } from './kernel/kernel.js';
export type { KernelOptions } from './kernel/options.js';
export type { CliOptions } from './kernel/cli.js';
export type {
  KernelSnapshot,
  ModuleSnapshot,
  TaskSnapshot,
  WorkerSnapshot,
} from './kernel/inspect.js';
export type { KernelEvent, KernelEventKind, KernelListeners } from './kernel/telemetry.js';
export { ModuleHandle } from './kernel/module-handle.js';

export { Module, Worker, Task, OnEvent, Job } from './decorators/decorators.js';
export type { TypedHookDecorator } from './decorators/decorators.js';
export type {
  ModuleClass,
  ModuleRef,
  ModuleOptions,
  EventDeclaration,
  WorkerOptions,
  TaskOptions,
  HookOptions,
  SupervisionOptions,
  RestartMode,
  Escalation,
  FlagSpec,
  FlagValue,
  JobOptions,
  JobInfo,
  JobBackoff,
} from './decorators/metadata.js';

export { ModuleContext } from './context/module-context.js';
export type { TriggerOptions } from './context/module-context.js';
export { FleetContext } from './fleet/fleet-context.js';
export type { EnqueueOptions } from './fleet/fleet-work.js';
export type { FleetSnapshot } from './fleet/kernel-fleet.js';
export type {
  TaskFn,
  MicroTaskOptions,
  SignalMicroTaskOptions,
} from './context/context-services.js';
export type { TaskHandle } from './tasks/task-handle.js';
export type { MicroTaskPriority } from './microtasks/microtask-options.js';

export { ModuleStatus } from './work/module-status.js';
export type { KernelStatus } from './work/module-status.js';

export { KeelError, isKeelError } from './errors/keel-error.js';
export type { KeelErrorOptions } from './errors/keel-error.js';
export { ErrorCodes } from './errors/codes.js';
export type { ErrorCode } from './errors/codes.js';
export { ModuleError, RestartNow, isPanic } from './errors/module-error.js';
export type { Severity, TaskType } from './errors/module-error.js';

export type { FailureState, FailureStatus } from './failure/failure-state.js';

export { defineEvent } from './events/event-key.js';
export type { EventKey } from './events/event-key.js';

export { systemClock } from './time/clock.js';
export type { Clock } from './time/clock.js';
export { formatDuration, toMs } from './time/duration.js';
export type { Duration } from './time/duration.js';

export type { Provider, InjectionToken, Resolver } from './container/provider.js';
export { inject, delay } from './container/inject.js';
export type { GraphFormat } from './kernel/graph-render.js';

export type {
  FleetProvider,
  FleetHost,
  FleetConnection,
  FleetReplica,
  ReplicaState,
  FleetSubscription,
  FleetDelivery,
  FleetDeliver,
  FleetSubscriptionHandle,
  FleetEnqueueOptions,
  FleetBackoff,
  FleetConsumerSpec,
  FleetJob,
  FleetJobHandler,
  FleetConsumer,
  FleetTaskSpec,
  FleetTaskRun,
  FleetTaskHandle,
  FleetQueueCounts,
  FleetConnectionSnapshot,
} from './fleet/fleet-provider.js';

export { MemoryFleet } from './fleet/memory/hub.js';
export type { MemoryFleetOptions } from './fleet/memory/hub.js';
export { localFleet } from './fleet/memory/local-fleet.js';
export type { LocalFleetOptions } from './fleet/memory/local-fleet.js';
