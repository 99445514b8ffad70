import { KeelError } from '../errors/keel-error.js';
import { kernelStateError } from '../errors/catalog.js';
import { clause, describe } from '../errors/safe.js';
import { isAbandonment } from '../lifecycle/lifecycle.js';
import type { ModuleRuntime } from '../lifecycle/module-runtime.js';
import type { PhaseResult } from '../lifecycle/phase-runner.js';
import { withDeadline } from '../time/deadline.js';
import { KernelCore } from './core.js';
import { KernelState, type ExitFailure } from './kernel-state.js';
import type { ModuleError } from '../errors/module-error.js';
import { rebuildEnabledTree, wanted } from './management.js';
import type { ResolvedOptions } from './options.js';
import { stopEverything } from './shutdown.js';

/**
 * The one place that drives a kernel through its phases (fx's lifecycle is the model):
 * start with rollback, management, restart of a module, a command run, the shutdown, and
 * the exit code. Every phase change goes through `state.move` (KERNEL_TRANSITIONS);
 * every operation first asks `state.allows` (KERNEL_OPERATIONS). Phases that change
 * modules are serialized on `busy`; the shutdown waits for the one in flight.
 */
export class KernelMachine {
  readonly state: KernelState;
  readonly core: KernelCore;
  private shutdownPromise: Promise<void> | undefined;
  private markStopped!: () => void;
  /** Resolves once the kernel is stopped. */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  /** The lifecycle phase in flight (start, manage, restart); shutdown waits for it to settle. */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(options: ResolvedOptions) {
    // The core's telemetry exists once the core does; the first move happens after that.
    this.state = new KernelState((from, to, failure) =>
      this.core.telemetry.publish(
        failure === undefined
          ? { type: 'kernel-status', from, to }
          : { type: 'kernel-status', from, to, failure },
      ),
    );
    this.core = new KernelCore(options, this.state, () => void this.shutdown());
  }

  /** Preps every module, starts the wanted ones; on failure rolls back (shuts down). */
  start(): Promise<void> {
    if (!this.state.allows('start')) return Promise.reject(this.state.refusal('start'));
    if (this.core.cli.help) return this.cleanExit();
    this.state.move('starting');
    const started = this.withRollback(() => this.startModules());
    this.busy = started.catch(() => undefined);
    return started;
  }

  /**
   * Stops everything; idempotent, never rejects. Called by a module's own code (`detach`:
   * its `ctx.kernel`), the kernel stops waiting for that module's step and work, so the
   * caller's `await` resolves when the shutdown is done instead of deadlocking it.
   */
  shutdown(caller?: ModuleRuntime): Promise<void> {
    caller?.detach();
    this.shutdownPromise ??= this.stopAll();
    return this.shutdownPromise;
  }

  /** Preps all modules, runs `fn` instead of starting, shuts down; resolves with the exit code. */
  async runCommand(fn: () => Promise<void> | void): Promise<number> {
    if (!this.state.allows('runCommand')) throw this.state.refusal('runCommand');
    const { core } = this;
    if (core.cli.help) {
      await this.cleanExit();
      return this.state.exitCode;
    }
    this.state.move('starting');
    try {
      await core.fleet.connect(this.state.shuttingDown);
    } catch (err) {
      this.state.failedWith({ reason: `the fleet did not connect: ${describe(err)}`, cause: err });
      this.state.fail();
      await this.shutdown();
      return this.state.exitCode;
    }
    const prep = await core.lifecycle.prep(core.runtimes, () => this.state.shuttingDown.aborted);
    if (prep.failed.length === 0 && prep.skipped.length === 0) {
      try {
        await fn();
      } catch (err) {
        this.state.failedWith({ reason: `command failed: ${describe(err)}`, cause: err });
        this.state.fail();
      }
    } else {
      const failure = firstFailure(prep);
      if (failure !== undefined) this.state.failedWith(stepFailed(failure, 'prep'));
      this.state.fail();
    }
    await this.shutdown();
    return this.state.exitCode;
  }

  /** Starts what should run and stops what should not (dependents first). Serialized. */
  manage(): Promise<void> {
    return this.serialized(() => this.applyManagement());
  }

  /** Stops the module (running dependents first), starts them again. Serialized. */
  restart(target: () => string): Promise<void> {
    return this.serialized(() => this.restartModule(target()));
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    const next = this.busy.then(step);
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** `--help`: print every module's flags and stop without starting anything. */
  private async cleanExit(): Promise<void> {
    const { core } = this;
    const print = core.options.cli?.print ?? ((text: string) => void process.stdout.write(text));
    print(core.cli.helpText);
    await this.shutdown();
  }

  /**
   * fx's `withRollback`: a start that fails (or that a shutdown cuts off) stops whatever
   * started, then rejects with `E_START_FAILED` naming the module.
   */
  private async withRollback(start: () => Promise<StartOutcome>): Promise<void> {
    let outcome: StartOutcome;
    try {
      outcome = await start();
    } catch (err) {
      // The fleet did not connect: nothing started.
      await this.rollback(true);
      throw err;
    }
    if (outcome === 'started') return;
    const failure = outcome;
    if (failure !== 'halted') this.state.failedWith(stepFailed(failure, failure.step));
    await this.rollback(failure !== 'halted');
    if (failure === 'halted') {
      throw new KeelError(
        'E_START_FAILED',
        'The kernel did not start: shutdown began during start.',
        {
          module: undefined,
          cause: kernelStateError('Shutdown began while the kernel was starting.'),
        },
      );
    }
    // `failure.error` may be null or undefined (`throw null`): still the module's failure.
    const module = failure.node.name;
    throw new KeelError(
      'E_START_FAILED',
      `Module "${module}" failed to start: ${clause(describe(failure.error))}. ` +
        `Every module that had started was stopped again.`,
      { module, cause: failure.error },
    );
  }

  /** The `incompleteStart` state: unplan everything, fail the exit code, shut down. */
  private async rollback(failed: boolean): Promise<void> {
    for (const rt of this.core.runtimes) rt.unplan();
    if (failed) this.state.fail();
    if (this.shutdownPromise === undefined) {
      // The phase has settled, so the shutdown need not wait for it.
      this.busy = Promise.resolve();
      await this.shutdown();
    }
  }

  private async startModules(): Promise<StartOutcome> {
    const { core, state } = this;
    const halted = (): boolean => state.shuttingDown.aborted;
    core.scheduler.start();
    rebuildEnabledTree(core.runtimes, (n) => core.runtime(n));
    // Singletons start where their lease is won (core.fleet), not here.
    const toStart = core.runtimes.filter(
      (rt) => wanted(rt, state.managed) && !core.fleet.isSingleton(rt),
    );
    for (const rt of toStart) rt.planned = true;
    try {
      await core.fleet.connect(state.shuttingDown);
    } catch (err) {
      state.failedWith({ reason: `the fleet did not connect: ${describe(err)}`, cause: err });
      throw err;
    }
    const prep = await core.lifecycle.prep(core.runtimes, halted);
    let failure = firstFailure(prep);
    if (failure !== undefined) return { ...failure, step: 'prep' };
    if (!halted()) failure = firstFailure(await core.lifecycle.start(toStart, halted));
    if (failure === undefined && !halted()) failure = await core.fleet.startSingletons();
    if (failure !== undefined) return { ...failure, step: 'start' };
    if (halted()) return 'halted';
    state.move('online');
    core.fleet.beginLoop();
    return 'started';
  }

  private async applyManagement(): Promise<void> {
    const { core, state } = this;
    if (!state.managed || !state.allows('manage')) return;
    rebuildEnabledTree(core.runtimes, (n) => core.runtime(n));
    const toStop = core.runtimes.filter((rt) => rt.status === 'online' && !wanted(rt, true));
    await core.lifecycle.stop(toStop);
    if (!state.allows('manage')) return;
    // Singletons are started by the fleet where their lease is won (at its next renewal).
    const toStart = core.runtimes.filter(
      (rt) => rt.status === 'offline' && wanted(rt, true) && !core.fleet.isSingleton(rt),
    );
    for (const rt of toStart) rt.planned = true;
    const result = await core.lifecycle.start(toStart, () => state.shuttingDown.aborted);
    const failure = firstFailure(result);
    for (const rt of toStart) if (rt.status !== 'online') rt.unplan();
    if (failure !== undefined) {
      throw new KeelError(
        'E_START_FAILED',
        `Module "${failure.node.name}" failed to start while managing modules.`,
        { module: failure.node.name, cause: failure.error },
      );
    }
  }

  private async restartModule(name: string): Promise<void> {
    const { core, state } = this;
    if (!state.allows('restart')) {
      throw kernelStateError(
        `kernel.restart("${name}") needs an online kernel; it is ${state.phase}.`,
        name,
      );
    }
    // The module and every running module that needs it, transitively, in kernel order.
    const affected = new Set<string>([name]);
    for (const rt of core.runtimes) {
      if (rt.node.dependencies.some((d) => affected.has(d))) affected.add(rt.name);
    }
    const running = core.runtimes.filter((rt) => affected.has(rt.name) && rt.status === 'online');
    await core.lifecycle.stop(running);
    if (!state.allows('restart')) return;
    const wantedNow = running.filter((rt) => wanted(rt, state.managed) || rt.name === name);
    // A target that was offline (failed, or stopped by a restart that failed) starts too,
    // unless management or the fleet (a singleton on standby) says it should not run.
    const target = core.runtime(name);
    if (
      target.status === 'offline' &&
      !running.includes(target) &&
      wanted(target, state.managed) &&
      !core.fleet.isSingleton(target)
    ) {
      wantedNow.unshift(target);
    }
    for (const rt of wantedNow) rt.planned = true;
    const result = await core.lifecycle.start(wantedNow, () => state.shuttingDown.aborted);
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
    const { core, state } = this;
    if (!state.allows('shutdown')) return;
    state.move('stopping');
    const began = core.timers.now();
    state.beginShutdown(core.stopReason);
    // A failed stop sets exitCode 1: the first report of the shutdown says why.
    let stopFailure: ModuleError | undefined;
    const unsubscribe = core.telemetry.on('error', (err) => (stopFailure ??= err));
    core.scheduler.stop();
    core.microtasks.releaseAll();
    core.fleet.stopLoop();
    await stopEverything(core, this.busy, () => state.fail());
    // After the last stop: leases still held are released, then the engine disconnects,
    // within stopTimeout and what is left of shutdownTimeout (the whole shutdown's bound: an
    // engine that is down must not hold it). A lease not released expires by its TTL.
    const { stopTimeoutMs, shutdownTimeoutMs } = core.options;
    const left = Math.max(0, shutdownTimeoutMs - (core.timers.now() - began));
    const closeMs = Math.min(stopTimeoutMs, left);
    const closed = await withDeadline(core.fleet.close(), closeMs, core.timers);
    if (closed.timedOut) {
      state.fail();
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
      state.exitFailure ??
      (stopFailure === undefined
        ? undefined
        : {
            module: stopFailure.module,
            reason: `module "${stopFailure.module}" ${stopFailure.activity} failed: ${stopFailure.message}`,
            cause: stopFailure.cause,
          });
    state.move('stopped', state.exitCode === 0 ? undefined : failure);
    this.markStopped();
  }
}

type Failure = { node: ModuleRuntime; error: unknown };
/** How a start ended: started, cut off by a shutdown, or a module's failure (in which step). */
type StartOutcome = 'started' | 'halted' | (Failure & { step: 'prep' | 'start' });

/** `module "config" prep failed: Unexpected end of JSON input`. */
function stepFailed(failure: Failure, step: 'prep' | 'start'): ExitFailure {
  const module = failure.node.name;
  return {
    module,
    reason: `module "${module}" ${step} failed: ${describe(failure.error)}`,
    cause: failure.error,
  };
}

/** The first module failure of a phase; a step the shutdown cut off blames no module. */
function firstFailure(result: PhaseResult<ModuleRuntime>): Failure | undefined {
  return result.failed.find((f) => !isAbandonment(f.error));
}
