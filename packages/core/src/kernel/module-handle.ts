import type { FlagValue, ModuleClass } from '../decorators/metadata.js';
import type { EventBus } from '../events/event-bus.js';
import type { FailureState } from '../failure/failure-state.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { ModuleStatus } from '../work/module-status.js';
import type { TaskHandle } from '../tasks/task-handle.js';
import type { TaskScheduler } from '../tasks/task-scheduler.js';
import type { ParsedCli } from './cli.js';

/** A module as seen from outside: `kernel.module(ref)` and `kernel.modules`. */
export class ModuleHandle {
  /** @internal */
  constructor(
    private readonly runtime: ModuleRuntime,
    private readonly services: {
      readonly events: EventBus;
      readonly scheduler: TaskScheduler;
      readonly cli: ParsedCli;
    },
    private readonly restarter: (name: string) => Promise<void>,
  ) {}

  /** The declared `@Module` class (not a test replacement); plugins read its metadata. */
  get moduleClass(): ModuleClass {
    return this.runtime.node.cls;
  }

  /** The module's parsed command-line flags (`@Module({ flags })`), readable from `Kernel.create` on. */
  get flags(): Readonly<Record<string, FlagValue>> {
    return this.services.cli.values.get(this.runtime.name) ?? {};
  }

  get name(): string {
    return this.runtime.name;
  }

  get status(): ModuleStatus {
    return this.runtime.status;
  }

  /** Marked to run under module management. */
  get enabled(): boolean {
    return this.runtime.enabled;
  }

  /** Needed by an enabled module (after the last `kernel.manage()`). */
  get enabledAsDependency(): boolean {
    return this.runtime.enabledAsDependency;
  }

  get failure(): FailureState {
    return this.runtime.failure.state;
  }

  get dependencies(): string[] {
    return [...this.runtime.node.dependencies];
  }

  get dependents(): string[] {
    return [...this.runtime.node.dependents];
  }

  /** The module's instance (or its replacement). */
  get instance(): unknown {
    return this.runtime.instance;
  }

  /**
   * A task of this module that is queued, scheduled or running (declared `@Task`s always
   * are while the module runs), by name; `undefined` otherwise. Tests use it to run a task now.
   */
  task(name: string): TaskHandle | undefined {
    return this.services.scheduler.find(this.runtime, name);
  }

  /** Triggers this module's event on its behalf, as its own `ctx.triggerEvent` would. */
  triggerEvent(event: string, data?: unknown): Promise<void> {
    return this.services.events.trigger(this.runtime, event, data);
  }

  /** `kernel.restart(this module)`: stops it (running dependents first), starts it again. */
  restart(): Promise<void> {
    return this.restarter(this.runtime.name);
  }

  /** Marks the module to run under management; `kernel.manage()` applies it. Returns whether it changed. */
  enable(): boolean {
    const changed = !this.runtime.enabled;
    this.runtime.enabled = true;
    return changed;
  }

  /** Marks the module not to run under management; `kernel.manage()` applies it. */
  disable(): boolean {
    const changed = this.runtime.enabled;
    this.runtime.enabled = false;
    return changed;
  }
}
