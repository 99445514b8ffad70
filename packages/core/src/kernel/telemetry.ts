import type { Escalation } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import type { ModuleError } from '../errors/module-error.js';
import type { FailureState } from '../failure/failure-state.js';
import type { KernelStatus, ModuleStatus } from '../lifecycle/module-status.js';

/**
 * Everything a kernel tells the outside, as one closed union. The logger and
 * `kernel.on()` are both consumers; each handles every variant (checked by the compiler).
 */
export type KernelEvent =
  | { type: 'kernel-status'; from: KernelStatus; to: KernelStatus }
  | {
      type: 'module-status';
      module: string;
      from: ModuleStatus;
      to: ModuleStatus;
      durationMs?: number;
    }
  | { type: 'module-failure'; module: string; state: FailureState }
  | { type: 'module-error'; error: ModuleError }
  | { type: 'module-event'; module: string; event: string; data: unknown; exposed: boolean }
  | {
      type: 'worker-restarting';
      module: string;
      worker: string;
      failures: number;
      delayMs: number;
      immediate: boolean;
    }
  | {
      type: 'worker-escalated';
      module: string;
      worker: string;
      escalate: Escalation;
      failures: number;
    };

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
  /** Every {@link KernelEvent}, for tracing and metrics. */
  telemetry: (event: KernelEvent) => void;
  /** SIGHUP arrived while `kernel.run()` runs: re-read what can be re-read (`@keel/config`). */
  reload: () => void;
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
    telemetry: new Set(),
    reload: new Set(),
  };

  constructor(
    private readonly log: (event: KernelEvent) => void,
    private readonly onListenerError: (err: unknown, kind: KernelEventKind) => void,
  ) {}

  on<K extends KernelEventKind>(kind: K, listener: KernelListeners[K]): () => void {
    const set = this.listeners[kind] as Set<KernelListeners[K]> | undefined;
    if (set === undefined || typeof listener !== 'function') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `kernel.on(kind, listener): kind must be one of ${Object.keys(this.listeners).join(', ')} and listener a function; got ${String(kind)}.`,
      );
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** True when `kernel.on(kind)` or `kernel.on('telemetry')` has a listener. */
  observed(kind: KernelEventKind): boolean {
    return this.listeners[kind].size > 0 || this.listeners.telemetry.size > 0;
  }

  /** Logs the event, then hands it to the listeners of its kind and of 'telemetry'. */
  publish(event: KernelEvent): void {
    this.log(event);
    switch (event.type) {
      case 'module-status':
        this.call('status', event.module, event.from, event.to);
        break;
      case 'module-failure':
        this.call('failure', event.module, event.state);
        break;
      case 'module-error':
        this.call('error', event.error);
        break;
      case 'module-event':
        this.call('event', event.module, event.event, event.data, event.exposed);
        break;
      case 'kernel-status':
      case 'worker-restarting':
      case 'worker-escalated':
        break;
    }
    this.call('telemetry', event);
  }

  /** Calls the `reload` listeners (SIGHUP under `run()`). */
  reload(): void {
    this.call('reload');
  }

  private call<K extends KernelEventKind>(kind: K, ...args: Parameters<KernelListeners[K]>): void {
    const set = this.listeners[kind] as Set<(...a: Parameters<KernelListeners[K]>) => unknown>;
    if (set.size === 0) return;
    for (const listener of set) {
      try {
        const result = listener(...args);
        if (result instanceof Promise)
          result.catch((err: unknown) => this.onListenerError(err, kind));
      } catch (err) {
        this.onListenerError(err, kind);
      }
    }
  }
}
