import type { InjectionToken } from '../container/provider.js';
import type { ModuleClass, ModuleRef } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import { clause, describe } from '../errors/safe.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import {
  assertTransition,
  KERNEL_TRANSITIONS,
  type KernelStatus,
} from '../lifecycle/module-status.js';
import type { PhaseResult } from '../lifecycle/phase-runner.js';
import { renderGraph, type GraphFormat } from '../graph/render.js';
import { KernelCore } from './core.js';
import { buildSnapshot, type KernelSnapshot } from './inspect.js';
import { rebuildEnabledTree, wanted } from './management.js';
import { ModuleHandle } from './module-handle.js';
import { resolveOptions, type KernelOptions } from './options.js';
import { flushLogger } from '../logging/logger.js';
import { isAbandonment } from '../lifecycle/lifecycle.js';
import { stopEverything } from './shutdown.js';
import { withDeadline } from '../time/deadline.js';
import { handleSignals } from './signals.js';
import type { KernelEventKind, KernelExitFailure, KernelListeners } from './telemetry.js';
import type { ModuleError } from '../errors/module-error.js';

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
  /** 0 by default; 1 once a start or a shutdown step failed. Settable. */
  exitCode = 0;
  private core!: KernelCore;
  private readonly handles = new Map<string, ModuleHandle>();
  private phase: KernelStatus = 'created';
  private readonly shutdownController = new AbortController();
  private shutdownPromise: Promise<void> | undefined;
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  /** The lifecycle phase in flight (start, manage); shutdown waits for it to settle. */
  private busy: Promise<unknown> = Promise.resolve();
  private isManaged = false;
  /** The first failure that makes the kernel exit non-zero; its last log line names it. */
  private exitFailure: Omit<KernelExitFailure, 'exitCode'> | undefined;

  private constructor(options: KernelOptions) {
    // The core calls attach() before it constructs modules, so constructors see kernel.modules.
    this.core = new KernelCore(resolveOptions(options), this);
    if (this.handles.size === 0) this.attach(this.core);
  }

  /** @internal Called by the core once the plan is complete, before any module constructor. */
  attach(core: KernelCore): void {
    this.core = core;
    for (const rt of core.runtimes) {
      this.handles.set(rt.name, new ModuleHandle(rt, core, (name) => this.restart(name)));
    }
  }

  /**
   * Builds and checks the module graph and constructs every module (in dependency order).
   * Synchronous. Throws a `KeelError` for a cycle, a duplicate, a missing or non-module class,
   * a misused decorator or a constructor that throws.
   */
  static create(options: KernelOptions): Kernel {
    return new Kernel(options);
  }

  /** @internal Records why the kernel will exit non-zero; the first failure wins. */
  failedWith(failure: Omit<KernelExitFailure, 'exitCode'>): void {
    this.exitFailure ??= failure;
  }

  /** @internal The kernel itself, for module contexts. */
  get facade(): Kernel {
    return this;
  }

  /** The kernel's own phase. */
  get status(): KernelStatus {
    return this.phase;
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
    return this.shutdownController.signal;
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
      throw new KeelError(
        'E_INVALID_OPTION',
        `kernel.module(ref): ref must be a module class or name, got ${ref === null ? 'null' : typeof ref}.`,
      );
    }
    const node = this.core.graph.find(ref);
    if (node === undefined) {
      const name = typeof ref === 'string' ? ref : (ref as ModuleClass).name;
      throw new KeelError(
        'E_MODULE_MISSING',
        `No module "${name}" in this kernel. Known: ${[...this.handles.keys()].join(', ')}.`,
      );
    }
    return this.handles.get(node.name)!;
  }

  /** True when module management is on (`enableManagement()` was called). */
  get managed(): boolean {
    return this.isManaged;
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
    const refused = this.refuseUnlessCreated('start');
    if (refused !== undefined) return refused;
    if (this.core.cli.help) return this.cleanExit();
    this.move('starting');
    const started = this.startModules();
    this.busy = started.catch(() => undefined);
    return started;
  }

  /**
   * Stops every module, dependents first, after waiting for their work; bounded by the
   * timeouts. Idempotent; never rejects; failures are reported and set `exitCode`.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.stopAll();
    return this.shutdownPromise;
  }

  /** Starts, shuts down gracefully on SIGINT/SIGTERM, resolves with the exit code. */
  async run(): Promise<number> {
    // Not a failed start: a kernel that started (or stopped) already is left as it is.
    const refused = this.refuseUnlessCreated('run');
    if (refused !== undefined) return refused;
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
        await Promise.race([this.stopped, forced]);
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
      throw new KeelError(
        'E_INVALID_OPTION',
        `kernel.runCommand(fn): fn must be a function, got ${fn === null ? 'null' : typeof fn}.`,
      );
    }
    const refused = this.refuseUnlessCreated('runCommand');
    if (refused !== undefined) await refused;
    if (this.core.cli.help) {
      await this.cleanExit();
      return this.exitCode;
    }
    this.move('starting');
    try {
      await this.core.fleet.connect(this.shuttingDown);
    } catch (err) {
      this.failedWith({ reason: `the fleet did not connect: ${describe(err)}`, cause: err });
      this.exitCode = 1;
      await this.shutdown();
      return this.exitCode;
    }
    const prep = await this.core.lifecycle.prep(
      this.core.runtimes,
      () => this.shuttingDown.aborted,
    );
    if (prep.failed.length === 0 && prep.skipped.length === 0) {
      try {
        await fn(this);
      } catch (err) {
        this.failedWith({ reason: `command failed: ${describe(err)}`, cause: err });
        this.exitCode = 1;
      }
    } else {
      const failure = firstFailure(prep);
      if (failure !== undefined) this.failedWith(stepFailed(failure, 'prep'));
      this.exitCode = 1;
    }
    await this.shutdown();
    return this.exitCode;
  }

  /** Turns module management on: from now on only enabled modules (and their dependencies) run. */
  enableManagement(): void {
    this.isManaged = true;
  }

  /** Starts what should run and stops what should not (dependents first). Serialized. */
  manage(): Promise<void> {
    const next = this.busy.then(() => this.applyManagement());
    this.busy = next.catch(() => undefined);
    return next;
  }

  /**
   * Stops the module (its running dependents first), then starts it again (then them).
   * Works without management; serialized with `start()` and `manage()`. Rejects with
   * `E_KERNEL_STATE` unless the kernel is online, `E_START_FAILED` when a start fails.
   */
  restart(ref: ModuleRef): Promise<void> {
    const next = this.busy.then(() => this.restartModule(this.module(ref).name));
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** A JSON-serialisable snapshot of every module and the kernel's work. */
  inspect(): KernelSnapshot {
    return buildSnapshot(this.core, this.phase, this.isManaged);
  }

  /** The dependency graph with statuses, as Mermaid, Graphviz dot, or JSON. */
  graph(format: GraphFormat = 'mermaid'): string {
    if (format !== 'mermaid' && format !== 'dot' && format !== 'json') {
      throw new KeelError(
        'E_INVALID_OPTION',
        `kernel.graph: unknown format "${String(format)}"; use 'mermaid', 'dot' or 'json'.`,
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

  /** `--help`: print every module's flags and stop without starting anything. */
  private async cleanExit(): Promise<void> {
    const print =
      this.core.options.cli?.print ?? ((text: string) => void process.stdout.write(text));
    print(this.core.cli.helpText);
    await this.shutdown();
  }

  private async startModules(): Promise<void> {
    const { core } = this;
    const halted = (): boolean => this.shuttingDown.aborted;
    core.scheduler.start();
    rebuildEnabledTree(core.runtimes, (n) => core.runtime(n));
    // Singletons start where their lease is won (core.fleet), not here.
    const toStart = core.runtimes.filter(
      (rt) => wanted(rt, this.isManaged) && !core.fleet.isSingleton(rt),
    );
    for (const rt of toStart) rt.planned = true;

    try {
      await core.fleet.connect(this.shuttingDown);
    } catch (err) {
      for (const rt of core.runtimes) rt.unplan();
      this.failedWith({ reason: `the fleet did not connect: ${describe(err)}`, cause: err });
      this.exitCode = 1;
      if (this.shutdownPromise === undefined) {
        this.busy = Promise.resolve();
        await this.shutdown();
      }
      throw err;
    }
    const prep = await core.lifecycle.prep(core.runtimes, halted);
    let failure = firstFailure(prep);
    let step: 'prep' | 'start' = 'prep';
    if (failure === undefined && !halted()) {
      step = 'start';
      const started = await core.lifecycle.start(toStart, halted);
      failure = firstFailure(started);
    }
    if (failure === undefined && !halted()) failure = await core.fleet.startSingletons();
    if (failure !== undefined || halted()) {
      for (const rt of core.runtimes) rt.unplan();
      const module = failure?.node.name;
      // `failure.error` may be null or undefined (`throw null`): still the module's failure.
      const cause =
        failure !== undefined
          ? failure.error
          : new KeelError('E_KERNEL_STATE', 'Shutdown began while the kernel was starting.');
      if (failure !== undefined) {
        this.failedWith(stepFailed(failure, step));
        this.exitCode = 1;
      }
      if (this.shutdownPromise === undefined) {
        // Roll back: the phase has settled, so shutdown need not wait for it.
        this.busy = Promise.resolve();
        await this.shutdown();
      }
      throw new KeelError(
        'E_START_FAILED',
        module === undefined
          ? 'The kernel did not start: shutdown began during start.'
          : `Module "${module}" failed to start: ${clause(describe(cause))}. ` +
              `Every module that had started was stopped again.`,
        { module, cause },
      );
    }
    this.move('online');
    core.fleet.beginLoop();
  }

  private async applyManagement(): Promise<void> {
    const { core } = this;
    if (!this.isManaged || this.phase !== 'online') return;
    rebuildEnabledTree(core.runtimes, (n) => core.runtime(n));
    const toStop = core.runtimes.filter((rt) => rt.status === 'online' && !wanted(rt, true));
    await core.lifecycle.stop(toStop);
    if (this.phase !== 'online') return;
    // Singletons are started by the fleet where their lease is won (at its next renewal).
    const toStart = core.runtimes.filter(
      (rt) => rt.status === 'offline' && wanted(rt, true) && !core.fleet.isSingleton(rt),
    );
    for (const rt of toStart) rt.planned = true;
    const result = await core.lifecycle.start(toStart, () => this.shuttingDown.aborted);
    const failure = firstFailure(result);
    for (const rt of toStart) if (rt.status !== 'online') rt.unplan();
    if (failure !== undefined) {
      throw new KeelError(
        'E_START_FAILED',
        `Module "${failure.node.name}" failed to start while managing modules.`,
        {
          module: failure.node.name,
          cause: failure.error,
        },
      );
    }
  }

  private async restartModule(name: string): Promise<void> {
    const { core } = this;
    if (this.phase !== 'online') {
      throw new KeelError(
        'E_KERNEL_STATE',
        `kernel.restart("${name}") needs an online kernel; it is ${this.phase}.`,
        { module: name },
      );
    }
    // The module and every running module that needs it, transitively, in kernel order.
    const affected = new Set<string>([name]);
    for (const rt of core.runtimes) {
      if (rt.node.dependencies.some((d) => affected.has(d))) affected.add(rt.name);
    }
    const running = core.runtimes.filter((rt) => affected.has(rt.name) && rt.status === 'online');
    await core.lifecycle.stop(running);
    if (this.phase !== 'online') return;
    const wantedNow = running.filter((rt) => wanted(rt, this.isManaged) || rt.name === name);
    // A target that was offline (failed, or stopped by a restart that failed) starts too,
    // unless management or the fleet (a singleton on standby) says it should not run.
    const target = core.runtime(name);
    if (
      target.status === 'offline' &&
      !running.includes(target) &&
      wanted(target, this.isManaged) &&
      !core.fleet.isSingleton(target)
    ) {
      wantedNow.unshift(target);
    }
    for (const rt of wantedNow) rt.planned = true;
    const result = await core.lifecycle.start(wantedNow, () => this.shuttingDown.aborted);
    for (const rt of wantedNow) if (rt.status !== 'online') rt.unplan();
    const failure = firstFailure(result);
    if (failure !== undefined) {
      throw new KeelError(
        'E_START_FAILED',
        `Module "${failure.node.name}" failed to start again during restart of "${name}": ${describe(failure.error)}.`,
        { module: failure.node.name, cause: failure.error },
      );
    }
  }

  private async stopAll(): Promise<void> {
    const { core } = this;
    if (this.phase === 'stopped') return;
    this.move('stopping');
    const began = core.timers.now();
    this.shutdownController.abort(core.stopReason);
    // A failed stop sets exitCode 1: the first report of the shutdown says why.
    let stopFailure: ModuleError | undefined;
    const unsubscribe = core.telemetry.on('error', (err) => (stopFailure ??= err));
    core.scheduler.stop();
    core.microtasks.releaseAll();
    core.fleet.stopLoop();
    await stopEverything(core, this.busy, () => {
      this.exitCode = this.exitCode || 1;
    });
    // After the last stop: leases still held are released, then the engine disconnects,
    // within stopTimeout and what is left of shutdownTimeout (the whole shutdown's bound: an
    // engine that is down must not hold it). A lease not released expires by its TTL.
    const { stopTimeoutMs, shutdownTimeoutMs } = core.options;
    const left = Math.max(0, shutdownTimeoutMs - (core.timers.now() - began));
    const closeMs = Math.min(stopTimeoutMs, left);
    const closed = await withDeadline(core.fleet.close(), closeMs, core.timers);
    if (closed.timedOut) {
      this.exitCode = this.exitCode || 1;
      const bound =
        closeMs === stopTimeoutMs
          ? `stopTimeout (${stopTimeoutMs} ms)`
          : `shutdownTimeout (${shutdownTimeoutMs} ms; ${closeMs} ms were left for it)`;
      core.reportInternal(
        new KeelError('E_TIMEOUT', `The fleet connection did not close within ${bound}.`),
        'close fleet',
        'stop',
      );
    }
    core.timers.close();
    unsubscribe();
    const failure =
      this.exitFailure ??
      (stopFailure === undefined
        ? undefined
        : {
            module: stopFailure.module,
            reason: `module "${stopFailure.module}" ${stopFailure.activity} failed: ${stopFailure.message}`,
            cause: stopFailure.cause,
          });
    this.move('stopped', this.exitCode === 0 ? undefined : failure);
    this.markStopped();
  }

  private refuseUnlessCreated(what: string): Promise<never> | undefined {
    if (this.phase !== 'created') {
      return Promise.reject(
        new KeelError(
          'E_KERNEL_STATE',
          `kernel.${what}() was called while the kernel is ${this.phase}; a kernel starts once. Create a new kernel to start again.`,
        ),
      );
    }
    return undefined;
  }

  private move(to: KernelStatus, failure?: Omit<KernelExitFailure, 'exitCode'>): void {
    assertTransition(KERNEL_TRANSITIONS, 'The kernel', this.phase, to);
    const from = this.phase;
    this.phase = to;
    this.core.telemetry.publish(
      failure === undefined
        ? { type: 'kernel-status', from, to }
        : { type: 'kernel-status', from, to, failure: { exitCode: this.exitCode, ...failure } },
    );
  }
}

/** `module "config" prep failed: Unexpected end of JSON input`. */
function stepFailed(
  failure: { node: ModuleRuntime; error: unknown },
  step: 'prep' | 'start',
): Omit<KernelExitFailure, 'exitCode'> {
  const module = failure.node.name;
  return {
    module,
    reason: `module "${module}" ${step} failed: ${describe(failure.error)}`,
    cause: failure.error,
  };
}

/** The first module failure of a phase; a step the shutdown cut off blames no module. */
function firstFailure(
  result: PhaseResult<ModuleRuntime>,
): { node: ModuleRuntime; error: unknown } | undefined {
  return result.failed.find((f) => !isAbandonment(f.error));
}
