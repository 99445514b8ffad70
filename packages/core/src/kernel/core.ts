import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import { ModuleContext } from '../context/module-context.js';
import type { ContextKernel, ContextServices } from '../context/context-services.js';
import type { KernelState } from './kernel-state.js';
import type { WorkOwner } from '../work/work-owner.js';
import { KernelContainer } from '../container/kernel-container.js';
import type { ModuleClass, SupervisionOptions } from '../decorators/metadata.js';
import { KeelError } from '../errors/keel-error.js';
import { describe } from '../errors/safe.js';
import type { TaskType } from '../errors/module-error.js';
import { EventBus } from '../events/event-bus.js';
import type { FailureState } from '../failure/failure-state.js';
import { ModuleGraph, refClass } from '../graph/module-graph.js';
import { Lifecycle } from '../lifecycle/lifecycle.js';
import { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { ModuleStatus } from '../work/module-status.js';
import { defaultLogger, withRedaction } from '../logging/logger.js';
import { MicroTaskLimiter } from '../microtasks/microtask-limiter.js';
import { TaskScheduler } from '../tasks/task-scheduler.js';
import type { Clock } from '../time/clock.js';
import { TimerHeap } from '../time/timer-heap.js';
import { restartPolicy } from '../specs/restart-policy.js';
import { WorkerRunner } from '../workers/worker-runner.js';
import { parseCli, type ParsedCli } from './cli.js';
import { launchDeclaredWork, registerHooks } from './wiring.js';
import { finalMeta, planModule, type ModulePlan } from './plan.js';
import type { ResolvedOptions } from './options.js';
import { Reporter } from './reporter.js';
import { logEvent, moduleStatusLevel } from '../logging/log-event.js';
import { Telemetry } from './telemetry.js';
import { KernelFleet } from '../fleet/kernel-fleet.js';
import { FleetWork } from '../fleet/fleet-work.js';
import { localFleet } from '../fleet/memory/local-fleet.js';
import { wanted } from './management.js';
import { isInstance } from '../errors/safe.js';

/**
 * Everything one kernel owns, wired together: graph, container, module runtimes and the
 * work managers. No state is shared with any other kernel.
 */
export class KernelCore {
  readonly clock: Clock;
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly reporter: Reporter;
  readonly graph: ModuleGraph;
  readonly container: KernelContainer;
  readonly runtimes: ModuleRuntime[];
  readonly byName = new Map<string, ModuleRuntime>();
  /** Each module's plan: its declared work, checked and parsed once at Kernel.create. */
  private readonly plans = new Map<ModuleRuntime, ModulePlan>();
  /** Modules that need async providers, constructed right before their prep. */
  private readonly lazyConstruction = new Map<ModuleRuntime, () => Promise<void>>();
  readonly lifecycle: Lifecycle;
  readonly workers: WorkerRunner;
  readonly microtasks: MicroTaskLimiter;
  readonly scheduler: TaskScheduler;
  readonly events: EventBus;
  readonly limit: LimitFunction;
  readonly cli: ParsedCli;
  readonly fleet: KernelFleet;
  readonly fleetWork: FleetWork;
  /** Shared by every module's abort: no error with a stack per module. */
  readonly stopReason = new DOMException('The module is stopping.', 'AbortError');

  constructor(
    readonly options: ResolvedOptions,
    private readonly state: KernelState,
    /** A worker's restart limit says `escalate: 'shutdown'`: the kernel shuts down. */
    private readonly escalate: () => void,
  ) {
    this.clock = options.clock;
    this.timers = new TimerHeap(this.clock, (err) =>
      this.logger.error({ err }, 'timer callback failed'),
    );
    // The graph first: modules may add redact paths (`@Module({ redact })`) to the logger.
    this.graph = ModuleGraph.build(options.modules);
    const redact = [...options.redact];
    for (const n of this.graph.nodes)
      if (n.meta.options.redact) redact.push(...n.meta.options.redact);
    this.logger = withRedaction(
      options.logger ?? defaultLogger(redact),
      options.logger ? redact : [],
    );
    this.telemetry = new Telemetry(
      (event) => logEvent(this.logger, (name) => this.moduleLogger(name), event),
      (err, kind, nested) => this.listenerFailed(err, kind, nested),
    );
    this.reporter = new Reporter(this.telemetry, this.clock);
    this.limit = pLimit(options.lifecycleConcurrency);
    this.cli = parseCli(this.graph.nodes, options.cli);
    this.container = new KernelContainer(options.providers, ModuleContext);
    this.microtasks = new MicroTaskLimiter({
      timers: this.timers,
      limit: options.maxConcurrentMicroTasks,
    });
    this.scheduler = new TaskScheduler({
      clock: this.clock,
      timers: this.timers,
      microtasks: this.microtasks,
      concurrency: options.taskConcurrency,
    });
    this.workers = new WorkerRunner({
      clock: this.clock,
      timers: this.timers,
      random: options.random,
      failModule: (o, worker, failures) => this.failModule(o, worker, failures),
      recoverModule: (o, worker) => this.runtime(o.name).failure.resolve(restartLimitId(worker)),
      shutdownKernel: (o, worker, failures) => this.escalateShutdown(o, worker, failures),
      onRestart: (o, worker, failures, delayMs, immediate) =>
        this.telemetry.publish({
          type: 'worker-restarting',
          module: o.name,
          worker,
          failures,
          delayMs,
          immediate,
        }),
    });
    this.events = new EventBus({
      onEvent: (source, event, data, exposed) => this.onEvent(source, event, data, exposed),
      now: () => this.clock.now(),
    });
    this.lifecycle = new Lifecycle({
      timers: this.timers,
      limit: this.limit,
      startTimeoutMs: options.startTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs,
      moduleCount: this.graph.nodes.length,
      afterStart: (rt) => this.launchDeclaredWork(rt),
      beginStop: (rt) => {
        this.scheduler.dropOwner(rt);
        this.fleetWork.stop(rt);
      },
      report: (rt, err, name, type) => rt.report(err, name, type),
      beforePrep: (rt) => this.takeConstruction(rt),
      stopFailed: () => state.fail(),
    });

    const host = {
      clock: this.clock,
      stopReason: this.stopReason,
      onStatus: (rt: ModuleRuntime, from: ModuleStatus, to: ModuleStatus) =>
        this.onStatus(rt, from, to),
      onFailure: (rt: ModuleRuntime, state: FailureState) =>
        this.telemetry.publish({ type: 'module-failure', module: rt.name, state }),
      report: (rt: ModuleRuntime, err: unknown, name: string, type: TaskType) =>
        this.reporter.report(rt.name, err, name, type),
    };
    this.runtimes = this.graph.nodes.map((node) => {
      const meta = finalMeta(node, this.container.overrideOf(node.cls));
      const rt = new ModuleRuntime(node, meta, this.logger, host);
      this.byName.set(node.name, rt);
      this.events.addSource(rt, node.events);
      return rt;
    });
    const byName = (name: string): ModuleRuntime => this.byName.get(name)!;
    for (const rt of this.runtimes) rt.link(byName);
    this.fleet = new KernelFleet({
      provider: options.fleet ?? localFleet(),
      clock: this.clock,
      timers: this.timers,
      logger: this.logger,
      runtimes: this.runtimes,
      lifecycle: this.lifecycle,
      startTimeoutMs: options.startTimeoutMs,
      report: (module, err, name, type) => this.reporter.report(module, err, name, type),
      wants: (rt) =>
        (state.phase === 'online' || state.phase === 'starting') &&
        !state.shuttingDown.aborted &&
        wanted(rt, state.managed),
      halted: () => state.shuttingDown.aborted,
      onFailure: (state) =>
        this.telemetry.publish({ type: 'module-failure', module: 'fleet', state }),
    });
    this.fleetWork = new FleetWork(this.fleet, this.scheduler, options.stopTimeoutMs);
    // Plan, then construct: the whole graph is checked before any constructor runs.
    const sourceName = (source: unknown): string =>
      typeof source === 'string' ? source : this.graph.nameOf(refClass(source as ModuleClass));
    for (const rt of this.runtimes) {
      this.plans.set(rt, planModule(rt.name, rt.meta, this.graph, this.events));
      this.fleetWork.plan(rt, sourceName);
    }
    this.fleet.declares = {
      tasks: [...this.fleetWork.taskKeys],
      queues: [...this.fleetWork.queues],
    };
  }

  /**
   * Constructs every module (dependencies first) once the plan is complete, so that
   * constructors may read `kernel.modules`; `kernelFor` gives each its `ctx.kernel`.
   * A constructor that throws ends what earlier constructors started, then rethrows.
   */
  constructModules(kernelFor: (rt: ModuleRuntime) => ContextKernel): void {
    try {
      this.constructAll(kernelFor);
    } catch (err) {
      // Nobody can shut this kernel down: end what earlier constructors started.
      this.abandon();
      throw err;
    }
  }

  private constructAll(kernelFor: (rt: ModuleRuntime) => ContextKernel): void {
    const lazy = new Set<unknown>();
    // One services object for every context: a large graph allocates no copy per module.
    const services: ContextServices = {
      kernelOf: kernelFor,
      clock: this.clock,
      timers: this.timers,
      flagsOf: (module) => this.cli.values.get(module) ?? {},
      workers: this.workers,
      scheduler: this.scheduler,
      microtasks: this.microtasks,
      events: this.events,
      fleet: this.fleet,
      fleetWork: this.fleetWork,
      startServiceWorker: (o, name, fn, opts) => this.startServiceWorker(o, name, fn, opts),
    };
    for (const rt of this.runtimes) {
      const context = new ModuleContext(rt, services);
      // A module that needs an async provider is built in start(), before its prep.
      if (this.container.needsAsync(rt.node.cls, lazy)) {
        lazy.add(rt.node.cls);
        this.lazyConstruction.set(rt, async () => {
          await this.container.resolveAsyncFor(rt.node.cls);
          this.construct(rt, context);
        });
      } else {
        this.construct(rt, context);
      }
    }
    for (const rt of this.runtimes) registerHooks(this, rt, this.plan(rt));
  }

  private construct(rt: ModuleRuntime, context: ModuleContext): void {
    rt.instance = this.container.constructModule(
      rt.name,
      rt.node.cls,
      rt.node.tokens,
      context,
    ) as ModuleRuntime['instance'];
  }

  /** The module's plan, made at Kernel.create. */
  private plan(rt: ModuleRuntime): ModulePlan {
    return this.plans.get(rt)!;
  }

  /** A module waiting for async providers: its construction, taken once (before its prep). */
  private takeConstruction(rt: ModuleRuntime): (() => Promise<void>) | undefined {
    const construct = this.lazyConstruction.get(rt);
    if (construct !== undefined) this.lazyConstruction.delete(rt);
    return construct;
  }

  /** Create failed: aborts every module's signal, drops tasks and ends every deadline. */
  private abandon(): void {
    for (const rt of this.runtimes) rt.abortIdleWork();
    this.scheduler.stop();
    this.microtasks.releaseAll();
    this.timers.close();
  }

  runtime(name: string): ModuleRuntime {
    const rt = this.byName.get(name);
    if (rt === undefined)
      throw new KeelError('E_MODULE_MISSING', `No module named "${name}" in this kernel.`);
    return rt;
  }

  /** Starts a supervised worker after validating its policy. */
  startServiceWorker(
    owner: WorkOwner,
    name: string,
    fn: (signal: AbortSignal) => unknown,
    options: SupervisionOptions,
  ): void {
    const policy = restartPolicy(options, `Service worker "${name}" of module "${owner.name}"`);
    this.workers.startService(owner, name, fn, policy);
  }

  /** Reports a failure that is not module code's (a listener, a timer callback). */
  reportInternal(err: unknown, taskName: string, taskType: TaskType = 'hook'): void {
    this.reporter.report('kernel', err, taskName, taskType);
  }

  /** Declared workers and tasks of a module that just started; true when it had any. */
  private launchDeclaredWork(rt: ModuleRuntime): boolean {
    const plan = this.plan(rt);
    launchDeclaredWork(this, rt, plan);
    const fleet = this.fleetWork.launch(rt);
    return fleet || plan.workers.length > 0 || plan.tasks.length > 0;
  }

  private onStatus(rt: ModuleRuntime, from: ModuleStatus, to: ModuleStatus): void {
    // A singleton that stopped gives its lease up at once, so another replica takes over.
    if (to === 'offline' && from === 'stopping') this.fleet.onStopped(rt);
    // Thousands of modules move three times per boot: build no event that nobody reads.
    if (!this.telemetry.observed('status') && !this.logger.isLevelEnabled(moduleStatusLevel(to)))
      return;
    const step =
      from === 'preparing'
        ? 'prep'
        : from === 'starting'
          ? 'start'
          : from === 'stopping'
            ? 'stop'
            : undefined;
    const durationMs = step === undefined ? undefined : rt.durations[step];
    // Listeners and the logger are not the module's step: the next step reads the clock anew.
    this.lifecycle.forgetClock();
    this.telemetry.publish({
      type: 'module-status',
      module: rt.name,
      from,
      to,
      ...(durationMs === undefined ? {} : { durationMs }),
    });
  }

  private onEvent(source: WorkOwner, event: string, data: unknown, exposed: boolean): void {
    // Every trigger would build an event: only when a listener or the debug log reads it.
    if (!this.telemetry.watchingEvents && !source.logger.isLevelEnabled('debug')) return;
    this.telemetry.publish({ type: 'module-event', module: source.name, event, data, exposed });
  }

  /** The pino child of a module (its level may differ from the kernel's), else the kernel's. */
  private moduleLogger(name: string): Logger {
    return this.byName.get(name)?.logger ?? this.logger;
  }

  private failModule(owner: WorkOwner, worker: string, failures: number): void {
    this.telemetry.publish({
      type: 'worker-escalated',
      module: owner.name,
      worker,
      escalate: 'fail-module',
      failures,
    });
    this.runtime(owner.name).failure.set(
      'error',
      restartLimitId(worker),
      `Worker ${worker} restarts too often`,
      `Worker "${worker}" of module "${owner.name}" failed ${failures} times in a row and exceeded its restart limit.`,
    );
  }

  private escalateShutdown(owner: WorkOwner, worker: string, failures: number): void {
    this.telemetry.publish({
      type: 'worker-escalated',
      module: owner.name,
      worker,
      escalate: 'shutdown',
      failures,
    });
    this.state.fail();
    const last = this.reporter.last;
    this.state.failedWith({
      module: owner.name,
      reason: `worker "${worker}" of module "${owner.name}" failed ${failures} times in a row and exceeded its restart limit`,
      cause: last?.module === owner.name ? last.cause : undefined,
    });
    this.escalate();
  }

  private listenerFailed(err: unknown, kind: string, nested: boolean): void {
    if (kind === 'error' || nested) {
      // Re-emitting would recurse: log only.
      safeLog(() =>
        this.logger.error({ err: printable(err) }, `a kernel.on('${kind}') listener threw`),
      );
      return;
    }
    this.reporter.report('kernel', err, `on('${kind}') listener`, 'hook');
  }
}

function restartLimitId(worker: string): string {
  return `worker:${worker}:restart-limit`;
}

/** `err` when pino can serialize it (an Error), else its description. */
function printable(err: unknown): unknown {
  return isInstance(err, Error) ? err : describe(err);
}

/** Runs a log call; a logger or serializer that throws is ignored. */
function safeLog(write: () => void): void {
  try {
    write();
  } catch {
    // Logging must never break the kernel.
  }
}
