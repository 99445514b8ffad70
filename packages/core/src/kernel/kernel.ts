import type { InjectionToken } from '../container/provider.js';
import type { ModuleClass, ModuleRef } from '../decorators/metadata.js';
import { badArgumentError, moduleMissingError, typeName } from '../errors/catalog.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { KernelStatus } from '../work/module-status.js';
import { renderGraph, type GraphFormat } from './graph-render.js';
import type { KernelCore } from './core.js';
import { buildSnapshot, type KernelSnapshot } from './inspect.js';
import { KernelMachine } from './kernel-machine.js';
import { ModuleHandle } from './module-handle.js';
import { resolveOptions, type KernelOptions } from './options.js';
import { flushLogger } from '../logging/logger.js';
import { handleSignals } from './signals.js';
import type { KernelEventKind, KernelListeners } from './telemetry.js';

declare module '../context/module-context.js' {
  /** `ctx.kernel` is the module's kernel. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a declaration merge
  interface KernelOfContext extends Kernel {}
}

/**
 * A running service: checks the module graph at `create`, then drives every module
 * through prep, start and stop, and owns their workers, tasks, microtasks and events.
 * @example
 * ```ts
 * const kernel = Kernel.create({ modules: [Api] });
 * process.exitCode = await kernel.run();
 * ```
 */
export class Kernel {
  /** The state machine that owns every phase change; the facade only checks arguments. */
  private readonly machine: KernelMachine;
  private readonly handles = new Map<string, ModuleHandle>();

  private constructor(options: KernelOptions) {
    this.machine = new KernelMachine(resolveOptions(options));
    const { core } = this.machine;
    const restart = (name: string): Promise<void> => this.restart(name);
    for (const rt of core.runtimes) this.handles.set(rt.name, new ModuleHandle(rt, core, restart));
    // Constructors may read kernel.modules: the handles exist before the first one runs.
    core.constructModules((rt) => this.viewFor(rt));
  }

  /**
   * Builds and checks the module graph and constructs every module (in dependency order).
   * Synchronous. Throws a `KeelError` for a cycle, a duplicate, a missing or non-module class,
   * a misused decorator or a constructor that throws.
   */
  static create(options: KernelOptions): Kernel {
    return new Kernel(options);
  }

  private get core(): KernelCore {
    return this.machine.core;
  }

  /** 0 by default; 1 once a start or a shutdown step failed. Settable. */
  get exitCode(): number {
    return this.machine.state.exitCode;
  }

  set exitCode(code: number) {
    this.machine.state.exitCode = code;
  }

  /** The kernel's own phase. */
  get status(): KernelStatus {
    return this.machine.state.phase;
  }

  /**
   * True when `cli.argv` asks for `--help`: `start()` prints the usage and starts nothing.
   * Readable from module constructors (a config plugin then tolerates missing values).
   */
  get helpRequested(): boolean {
    return this.core.cli.help;
  }

  /** Aborted when shutdown begins. */
  get shuttingDown(): AbortSignal {
    return this.machine.state.shuttingDown;
  }

  /** All modules, in dependency order. */
  get modules(): ModuleHandle[] {
    return [...this.handles.values()];
  }

  /** The most recent `ModuleError`, if any. */
  get lastError(): ReturnType<KernelCore['reporter']['report']> | undefined {
    return this.core.reporter.last;
  }

  /** A module by class or name; `E_MODULE_MISSING` for an unknown one. */
  module(ref: ModuleRef): ModuleHandle {
    if (typeof ref !== 'string' && typeof ref !== 'function') {
      throw badArgumentError(
        `kernel.module(ref): ref must be a module class or name, got ${typeName(ref)}.`,
        { details: { got: typeName(ref) } },
      );
    }
    const node = this.core.graph.find(ref);
    if (node === undefined) {
      const name = typeof ref === 'string' ? ref : (ref as ModuleClass).name;
      throw moduleMissingError(
        `No module "${name}" in this kernel. Known: ${[...this.handles.keys()].join(', ')}.`,
        { name },
      );
    }
    return this.handles.get(node.name)!;
  }

  /** True when module management is on (`enableManagement()` was called). */
  get managed(): boolean {
    return this.machine.state.managed;
  }

  /** True when `token` is registered in this kernel (a module, a provider). */
  has(token: InjectionToken<unknown>): boolean {
    return this.core.container.has(token);
  }

  /** Resolves a token from the kernel's container. */
  get<T>(token: InjectionToken<T>): T {
    return this.core.container.resolve(token);
  }

  /** Observes the kernel; returns the unsubscribe function. A throwing listener is reported. */
  on<K extends KernelEventKind>(kind: K, listener: KernelListeners[K]): () => void {
    return this.core.telemetry.on(kind, listener);
  }

  /**
   * Preps every module (dependencies first), then starts every wanted module (dependencies
   * first, independent ones concurrently). On failure, stops what started and rejects
   * with `E_START_FAILED` naming the module.
   */
  start(): Promise<void> {
    return this.machine.start();
  }

  /**
   * Stops every module, dependents first, after waiting for their work; bounded by the
   * timeouts. Idempotent; never rejects; failures are reported and set `exitCode`.
   * Called from a module's own code through `ctx.kernel`, it does not wait for that code
   * (docs/lifecycle.md).
   */
  shutdown(): Promise<void> {
    return this.machine.shutdown();
  }

  /** Starts, shuts down gracefully on SIGINT/SIGTERM, resolves with the exit code. */
  async run(): Promise<number> {
    // Not a failed start: a kernel that started (or stopped) already is left as it is.
    if (!this.machine.state.allows('run')) throw this.machine.state.refusal('run');
    const signals = handleSignals(this, this.core.logger);
    // A second signal gives up waiting in every phase, a hung start() included.
    const forced = signals.forced.then(() => 'forced' as const);
    try {
      const started = await Promise.race([
        this.start().then(
          () => 'started' as const,
          () => 'failed' as const,
        ),
        forced,
      ]);
      if (started === 'failed') {
        // A failed start already set exitCode 1; a signal during start is a clean stop.
        await Promise.race([this.shutdown(), forced]);
      } else if (started === 'started') {
        await Promise.race([this.machine.stopped, forced]);
      }
      return this.exitCode;
    } finally {
      signals.dispose();
      // The caller may exit right after: let buffered log lines out first, in order.
      await flushLogger(this.core.logger);
    }
  }

  /** @internal SIGHUP under `run()`: calls the `reload` listeners of `kernel.on`. */
  reload(): void {
    this.core.telemetry.reload();
  }

  /** Preps all modules, runs `fn` instead of starting, shuts down; resolves with the exit code. */
  async runCommand(fn: (kernel: Kernel) => Promise<void> | void): Promise<number> {
    if (typeof fn !== 'function') {
      throw badArgumentError(`kernel.runCommand(fn): fn must be a function, got ${typeName(fn)}.`, {
        details: { got: typeName(fn) },
      });
    }
    return this.machine.runCommand(() => fn(this));
  }

  /** Turns module management on: from now on only enabled modules (and their dependencies) run. */
  enableManagement(): void {
    this.machine.state.managed = true;
  }

  /** Starts what should run and stops what should not (dependents first). Serialized. */
  manage(): Promise<void> {
    return this.machine.manage();
  }

  /**
   * Stops the module (its running dependents first), then starts it again (then them).
   * Works without management; serialized with `start()` and `manage()`. Rejects with
   * `E_KERNEL_STATE` unless the kernel is online, `E_START_FAILED` when a start fails.
   */
  restart(ref: ModuleRef): Promise<void> {
    // Looked up in turn (after the phase in flight), like the original serialized call.
    return this.machine.restart(() => this.module(ref).name);
  }

  /** A JSON-serialisable snapshot of every module and the kernel's work. */
  inspect(): KernelSnapshot {
    return buildSnapshot(this.core, this.status, this.managed);
  }

  /** The dependency graph with statuses, as Mermaid, Graphviz dot, or JSON. */
  graph(format: GraphFormat = 'mermaid'): string {
    if (format !== 'mermaid' && format !== 'dot' && format !== 'json') {
      throw badArgumentError(
        `kernel.graph: unknown format "${String(format)}"; use 'mermaid', 'dot' or 'json'.`,
        { details: { format: String(format) } },
      );
    }
    return renderGraph(
      this.core.runtimes.map((rt) => ({
        name: rt.name,
        status: rt.status,
        dependencies: rt.node.dependencies,
      })),
      format,
    );
  }

  /**
   * `ctx.kernel` of one module: this kernel, except that its `shutdown()` tells the machine
   * who asked, so the shutdown does not wait for the asking module (which awaits it).
   */
  private viewFor(rt: ModuleRuntime): Kernel {
    const view = Object.create(this) as Kernel;
    Object.defineProperty(view, 'shutdown', {
      value: (): Promise<void> => this.machine.shutdown(rt),
    });
    return view;
  }
}
