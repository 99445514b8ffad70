import type { FailureState } from '../failure/failure-state.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { ModuleStatus } from '../lifecycle/module-status.js';

/** A module as seen from outside: `kernel.module(ref)` and `kernel.modules`. */
export class ModuleHandle {
  /** @internal */
  constructor(private readonly runtime: ModuleRuntime) {}

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
