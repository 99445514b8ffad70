import type { Escalation } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import type { ModuleError } from '../errors/module-error.js';
import type { FailureState } from '../failure/failure-state.js';
import type { KernelStatus, ModuleStatus } from '../work/module-status.js';
import { isThenable } from '../util/thenable.js';

/**
 * Everything a kernel tells the outside, as one closed union. The logger and
 * `kernel.on()` are both consumers; each handles every variant (checked by the compiler).
 */
export type KernelEvent =
  | {
      type: 'kernel-status';
      from: KernelStatus;
      to: KernelStatus;
      /** On the move to `stopped` after a failure: why the kernel exits non-zero. */
      failure?: KernelExitFailure;
    }
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

/**
 * Why a kernel stopped with a non-zero exit code: the first failure that set it (a failed
 * prep or start, a worker escalating to shutdown, a failed stop), for the one error line
 * that ends the log.
 */
export interface KernelExitFailure {
  readonly exitCode: number;
  /** The module at fault, when there is one. */
  readonly module?: string;
  /** One sentence: `module "config" prep failed: Unexpected end of JSON input`. */
  readonly reason: string;
  readonly cause?: unknown;
}

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

type AnyListener = (...args: never[]) => unknown;

/**
 * One kernel's listeners. A throwing listener never breaks the kernel: its error goes to
 * `onListenerError`, which reports it. The report of a listener's failure is never handed
 * to that listener, and a listener failing on such a report is only logged (`nested`):
 * throwing listeners cannot feed each other forever.
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
    private readonly onListenerError: (
      err: unknown,
      kind: KernelEventKind,
      nested: boolean,
    ) => void,
  ) {}

  /** The listener whose failure is being reported right now (read by the next publish). */
  private failing: AnyListener | undefined = undefined;

  /** `observed('event')`, kept up to date: read at every trigger. */
  private watching = false;

  get watchingEvents(): boolean {
    return this.watching;
  }

  on<K extends KernelEventKind>(kind: K, listener: KernelListeners[K]): () => void {
    const set = this.listeners[kind] as Set<KernelListeners[K]> | undefined;
    if (set === undefined || typeof listener !== 'function') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `kernel.on(kind, listener): kind must be one of ${Object.keys(this.listeners).join(', ')} and listener a function; got ${String(kind)}.`,
      );
    }
    set.add(listener);
    this.watching = this.observed('event');
    return () => {
      set.delete(listener);
      this.watching = this.observed('event');
    };
  }

  /** True when `kernel.on(kind)` or `kernel.on('telemetry')` has a listener. */
  observed(kind: KernelEventKind): boolean {
    return this.listeners[kind].size > 0 || this.listeners.telemetry.size > 0;
  }

  /** Logs the event, then hands it to the listeners of its kind and of 'telemetry'. */
  publish(event: KernelEvent): void {
    // Set only for the report of a listener's own failure.
    const origin = this.failing;
    this.failing = undefined;
    try {
      this.log(event);
    } catch {
      // A logger that throws must not stop the listeners, nor the kernel.
    }
    switch (event.type) {
      case 'module-status':
        this.call('status', origin, event.module, event.from, event.to);
        break;
      case 'module-failure':
        this.call('failure', origin, event.module, event.state);
        break;
      case 'module-error':
        this.call('error', origin, event.error);
        break;
      case 'module-event':
        this.call('event', origin, event.module, event.event, event.data, event.exposed);
        break;
      case 'kernel-status':
      case 'worker-restarting':
      case 'worker-escalated':
        break;
    }
    this.call('telemetry', origin, event);
  }

  /** Calls the `reload` listeners (SIGHUP under `run()`). */
  reload(): void {
    this.call('reload', undefined);
  }

  private call<K extends KernelEventKind>(
    kind: K,
    origin: AnyListener | undefined,
    ...args: Parameters<KernelListeners[K]>
  ): void {
    const set = this.listeners[kind] as Set<(...a: Parameters<KernelListeners[K]>) => unknown>;
    if (set.size === 0) return;
    const nested = origin !== undefined;
    for (const listener of [...set]) {
      if (listener === origin) continue;
      try {
        const result = listener(...args);
        if (isThenable(result)) {
          Promise.resolve(result).catch((err: unknown) =>
            this.listenerFailed(err, kind, listener, nested),
          );
        }
      } catch (err) {
        this.listenerFailed(err, kind, listener, nested);
      }
    }
  }

  private listenerFailed(
    err: unknown,
    kind: KernelEventKind,
    listener: AnyListener,
    nested: boolean,
  ): void {
    const previous = this.failing;
    this.failing = nested ? undefined : listener;
    try {
      this.onListenerError(err, kind, nested);
    } catch {
      // Reporting must never throw into the code that published the event.
    } finally {
      this.failing = previous;
    }
  }
}
