import type { Logger } from 'pino';
import type { ModuleRef, SupervisionOptions } from '../decorators/metadata.js';
import type { EventKey } from '../specs/event-key.js';
import { ModuleError, type Severity, type TaskType } from '../errors/module-error.js';
import type { FailureState } from '../failure/failure-state.js';
import type { ModuleStatus } from '../work/module-status.js';
import { toMs, type Duration } from '../time/duration.js';
import { KeelError } from '../errors/keel-error.js';
import { badArgumentError, notAFunctionError, typeName } from '../errors/catalog.js';
import type { FlagValue } from '../decorators/metadata.js';
import type {
  ContextKernel,
  ContextServices,
  MicroTaskOptions,
  SignalMicroTaskOptions,
  TaskFn,
  TaskHandle,
} from './context-services.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import { FleetContext } from '../fleet/fleet-context.js';
import { moduleOptionsOf } from '../decorators/registry.js';
import type { FleetPublish } from '../events/event-bus.js';

/**
 * The type of `ctx.kernel`: the `Kernel` (kernel.ts adds that by declaration merging, so
 * this layer imports nothing from the kernel above it).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- completed in kernel.ts
export interface KernelOfContext {}

/** Options of `ctx.triggerEvent`. */
export interface TriggerOptions {
  /**
   * `true`: also deliver to the fleet's `@OnEvent(…, { fleet })` hooks on every replica as
   * they say (`'all'` / `'one'`); local hooks still run here. Default: local only.
   */
  fleet?: boolean;
}

/**
 * A module's handle on its kernel, injected into its constructor: its own signal, logger,
 * workers, tasks, microtasks, events and failure status. Each module gets its own.
 */
export class ModuleContext {
  private fleetContext: FleetContext | undefined = undefined;
  private kernelView: ContextKernel | undefined = undefined;

  /** @internal Created by the kernel; inject it, do not construct it. */
  constructor(
    private readonly runtime: ModuleRuntime,
    private readonly services: ContextServices,
  ) {}

  /** This module's view of the fleet: fencing token, replica id, job queues (docs/fleet.md). */
  get fleet(): FleetContext {
    return (this.fleetContext ??= new FleetContext(
      this.runtime,
      this.services.fleet,
      this.services.fleetWork,
    ));
  }

  /** The module's name. */
  get name(): string {
    return this.runtime.name;
  }

  /** The module's lifecycle status. */
  get status(): ModuleStatus {
    return this.runtime.status;
  }

  /** A pino child logger with `{ module: name }`. */
  get logger(): Logger {
    return this.runtime.logger;
  }

  /**
   * The kernel that runs this module. Its `shutdown()` called from this module's own code
   * (start, a task, a hook) does not wait for that code (docs/lifecycle.md).
   */
  get kernel(): KernelOfContext {
    return this.kernelOf() as unknown as KernelOfContext;
  }

  private kernelOf(): ContextKernel {
    return (this.kernelView ??= this.services.kernelOf(this.runtime));
  }

  /** The kernel clock's time in ms: use it instead of `Date.now()` so tests can control time. */
  now(): number {
    return this.services.clock.now();
  }

  /**
   * Waits `duration` of kernel clock time; resolves early (without rejecting) when this
   * module begins to stop, or when `options.signal` aborts instead (`null`: never early).
   * Use it instead of `setTimeout` so tests can control time.
   */
  sleep(duration: Duration, options: { signal?: AbortSignal | null } = {}): Promise<void> {
    // `signal: null` keeps waiting after the module began to stop (a drain deadline, say).
    const signal =
      options.signal === undefined ? this.runtime.signal : (options.signal ?? undefined);
    return this.services.timers.sleep(
      toMs(duration, `ctx.sleep() of module "${this.name}"`),
      signal,
    );
  }

  /** The value of a command-line flag this module declares in `@Module({ flags })`. */
  flag<T extends FlagValue = FlagValue>(name: string): T {
    const flags = this.services.flagsOf(this.name);
    if (!(name in flags)) {
      throw badArgumentError(
        `Module "${this.name}" reads flag --${name}, which it does not declare. Add it to @Module({ flags }).`,
        { module: this.name, details: { flag: name } },
      );
    }
    return flags[name] as T;
  }

  /** Aborted when this module begins to stop; a fresh one for every start. */
  get signal(): AbortSignal {
    return this.runtime.signal;
  }

  /** The module's current failure state. */
  get failure(): FailureState {
    return this.runtime.failure.state;
  }

  /** Runs `fn` now as a worker of this module; a failure is reported and rethrown. */
  runWorker(name: string, fn: (signal: AbortSignal) => unknown): Promise<void> {
    this.needsFunction('runWorker', name, fn);
    return this.services.workers.run(this.runtime, name, fn);
  }

  /** Runs `fn` as a background worker; failures are reported, never unhandled. */
  startWorker(name: string, fn: (signal: AbortSignal) => unknown): void {
    this.needsFunction('startWorker', name, fn);
    this.services.workers.start(this.runtime, name, fn);
  }

  /** Runs `fn` as a background worker restarted after failures with backoff. */
  startServiceWorker(
    name: string,
    fn: (signal: AbortSignal) => unknown,
    options: SupervisionOptions = {},
  ): void {
    this.needsFunction('startServiceWorker', name, fn);
    this.services.startServiceWorker(this.runtime, name, fn, options);
  }

  /** Creates a task; nothing runs until it is queued, scheduled or repeated. */
  newTask(name: string, fn: TaskFn): TaskHandle {
    return this.services.scheduler.newTask(this.runtime, name, fn);
  }

  /** Runs `fn` when a microtask slot is free (or its max delay passed); resolves with its value. */
  runMicroTask<T>(
    name: string,
    fn: (signal: AbortSignal) => T | Promise<T>,
    options: MicroTaskOptions = {},
  ): Promise<T> {
    this.needsFunction('runMicroTask', name, fn);
    return this.services.microtasks.run(this.runtime, name, fn, options);
  }

  /** Like {@link runMicroTask}, in the background; failures are reported. */
  startMicroTask(
    name: string,
    fn: (signal: AbortSignal) => unknown,
    options: MicroTaskOptions = {},
  ): void {
    this.needsFunction('startMicroTask', name, fn);
    this.services.microtasks.start(this.runtime, name, fn, options);
  }

  /** Takes a microtask slot for work done elsewhere; call the returned `done` (idempotent) after. */
  signalMicroTask(options: SignalMicroTaskOptions = {}): Promise<() => void> {
    return this.services.microtasks.signal(this.runtime, options);
  }

  /**
   * Runs every hook on this module's `event` concurrently, each as a worker of its module.
   * Settles when all hooks settled; never rejects. Throws `E_EVENT_UNKNOWN` for an
   * undeclared event.
   */
  triggerEvent<P>(event: EventKey<P>, data: P, options?: TriggerOptions): Promise<void>;
  triggerEvent(event: string, data?: unknown, options?: TriggerOptions): Promise<void>;
  triggerEvent(
    event: string | EventKey<unknown>,
    data?: unknown,
    options?: TriggerOptions,
  ): Promise<void> {
    const name = this.ownEvent(event);
    if (options?.fleet !== true) return this.services.events.trigger(this.runtime, name, data);
    return this.services.events.trigger(this.runtime, name, data, this.fleetPublish);
  }

  private readonly fleetPublish: FleetPublish = (module, event, exposed, data) => {
    const work = this.services.fleetWork;
    const payload = work.checkTrigger(this.runtime, module, event, exposed, data);
    // Never rejects: an unreachable engine is reported, as a failing hook would be.
    return work.publish(`${module}.${event}`, payload).catch((err: unknown) => {
      this.runtime.report(err, `fleet trigger ${module}/${event}`, 'hook');
    });
  };

  /** The name of an event of this module; a key of another module's event is refused. */
  private ownEvent(event: string | EventKey<unknown>): string {
    if (typeof event === 'string') return event;
    if (event === null || typeof event !== 'object' || typeof event.event !== 'string') {
      throw badArgumentError(
        `Module "${this.name}": ctx.triggerEvent(event) needs an event name or a key from defineEvent(), got ${typeName(event)}.`,
        { module: this.name, details: { got: typeName(event) } },
      );
    }
    if (this.ownsKey(event.module)) return event.event;
    let owner: string;
    try {
      owner = this.kernelOf().module(event.module as ModuleRef).name;
    } catch {
      owner = typeof event.module === 'string' ? event.module : 'another module';
    }
    if (owner !== this.name) {
      throw new KeelError(
        'E_EVENT_UNKNOWN',
        `Module "${this.name}" triggers "${event.event}" of module "${owner}": a module triggers only its own events. ` +
          `Use a key of its own (defineEvent(${JSON.stringify(this.name)}, ...)), or ctx.injectEvent() to trigger for another module.`,
        { module: this.name, details: { event: event.event, owner } },
      );
    }
    return event.event;
  }

  /** True for a key of this module: by name, or by its class or a class it extends. */
  private ownsKey(ref: unknown): boolean {
    if (ref === this.name) return true;
    const own: unknown = this.runtime.node.cls;
    if (typeof ref === 'string') {
      // A subclass of a module (HttpServer's) triggers the events its parent's keys name.
      for (
        let c: unknown = Object.getPrototypeOf(own);
        typeof c === 'function';
        c = Object.getPrototypeOf(c)
      ) {
        const options = moduleOptionsOf(c);
        if (options !== undefined && (options.name ?? (c as { name: string }).name) === ref)
          return true;
      }
      return false;
    }
    let cls: unknown = ref;
    // A forward reference `() => Cls` has no prototype; a class does.
    if (typeof cls === 'function' && (cls as { prototype?: unknown }).prototype === undefined) {
      try {
        cls = (cls as () => unknown)();
      } catch {
        return false;
      }
    }
    if (typeof cls !== 'function' || typeof own !== 'function') return false;
    return own === cls || (own as { prototype: object }).prototype instanceof cls;
  }

  /** Work needs a function; anything else is a coded error, not a TypeError later. */
  private needsFunction(method: string, name: string, fn: unknown): void {
    if (typeof fn === 'function') return;
    throw notAFunctionError(
      `Module "${this.name}": ctx.${method}(${JSON.stringify(String(name))}, fn)`,
      fn,
      { module: this.name, details: { name: String(name) } },
    );
  }

  /** Triggers another module's event on its behalf. */
  injectEvent(
    sourceEvent: string,
    targetModule: string,
    targetEvent: string,
    data?: unknown,
  ): Promise<void> {
    void sourceEvent;
    return this.services.events.inject(this.runtime, targetModule, targetEvent, data);
  }

  /** Sets a hint; the same id again is ignored. */
  hint(id: string, title: string, message: string): void {
    this.runtime.failure.set('hint', id, title, message);
  }

  /** Sets a warning; the same id again is ignored. */
  warning(id: string, title: string, message: string): void {
    this.runtime.failure.set('warning', id, title, message);
  }

  /** Sets an error; the same id again is ignored. */
  error(id: string, title: string, message: string): void {
    this.runtime.failure.set('error', id, title, message);
  }

  /** Clears the failure if `id` matches, or whatever is set when `id` is omitted. */
  resolve(id?: string): void {
    this.runtime.failure.resolve(id);
  }

  /** Reports an error of this module as a `ModuleError` (logged and on `kernel.on('error')`). */
  report(
    err: unknown,
    options: { taskName?: string; taskType?: TaskType; severity?: Severity } = {},
  ): ModuleError {
    const taskName = options.taskName ?? 'report';
    const taskType = options.taskType ?? 'worker';
    const error =
      options.severity === undefined
        ? err
        : new ModuleError({
            module: this.name,
            taskName,
            taskType,
            cause: err,
            severity: options.severity,
          });
    return this.runtime.report(error, taskName, taskType);
  }
}
