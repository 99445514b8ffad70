import type { ModuleError } from '../errors/module-error.js';
import type { FailureState } from '../failure/failure-state.js';
import type { ModuleStatus } from '../lifecycle/module-status.js';

/** Listener signatures of `kernel.on(kind, listener)`. */
export interface KernelListeners {
  /** A module moved from one status to another. */
  status: (module: string, from: ModuleStatus, to: ModuleStatus) => void;
  /** A module's failure state changed. */
  failure: (module: string, state: FailureState) => void;
  /** Module code failed. */
  error: (error: ModuleError) => void;
  /** A module triggered an event (`exposed` false: do not show the data outside). */
  event: (module: string, event: string, data: unknown, exposed: boolean) => void;
}

/** The kinds `kernel.on()` accepts. */
export type KernelEventKind = keyof KernelListeners;

/**
 * One kernel's listeners. A throwing listener never breaks the kernel: its error goes to
 * `onListenerError`, which reports it.
 */
export class Telemetry {
  private readonly listeners: { [K in KernelEventKind]: Set<KernelListeners[K]> } = {
    status: new Set(),
    failure: new Set(),
    error: new Set(),
    event: new Set(),
  };

  constructor(private readonly onListenerError: (err: unknown, kind: KernelEventKind) => void) {}

  on<K extends KernelEventKind>(kind: K, listener: KernelListeners[K]): () => void {
    const set = this.listeners[kind] as Set<KernelListeners[K]> | undefined;
    if (set === undefined) {
      throw new TypeError(
        `kernel.on: unknown kind "${String(kind)}"; use status, failure, error or event.`,
      );
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  has(kind: KernelEventKind): boolean {
    return this.listeners[kind].size > 0;
  }

  emit<K extends KernelEventKind>(kind: K, ...args: Parameters<KernelListeners[K]>): void {
    const set = this.listeners[kind] as Set<(...a: Parameters<KernelListeners[K]>) => void>;
    if (set.size === 0) return;
    for (const listener of set) {
      try {
        const result = listener(...args) as unknown;
        if (result instanceof Promise)
          result.catch((err: unknown) => this.onListenerError(err, kind));
      } catch (err) {
        this.onListenerError(err, kind);
      }
    }
  }

  clear(): void {
    for (const set of Object.values(this.listeners)) set.clear();
  }
}
