import { isKeelError, KeelError } from '../errors/keel-error.js';
import { describe, type ModuleError, type TaskType } from '../errors/module-error.js';
import { abandonedError } from '../errors/catalog.js';
import type { TimerHeap } from '../time/timer-heap.js';
import { timeoutError, withDeadline } from '../time/deadline.js';
import type { ModuleRuntime } from './module-runtime.js';
import { runPhase, type PhaseResult } from './phase-runner.js';
import { isThenable } from '../util/thenable.js';
import type { LimitFunction } from 'p-limit';

/** What the lifecycle needs from its kernel. */
export interface LifecycleHost {
  readonly timers: TimerHeap;
  readonly limit: LimitFunction;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** How many modules the kernel has (every module's `node.index` is below it). */
  readonly moduleCount: number;
  /**
   * Launches the module's declared workers and tasks, right after its start() resolved;
   * true when it launched any (module code may have run).
   */
  afterStart(runtime: ModuleRuntime): boolean;
  /** Drops the module's queued and scheduled tasks as it begins to stop. */
  beginStop(runtime: ModuleRuntime): void;
  report(runtime: ModuleRuntime, err: unknown, taskName: string, taskType: TaskType): ModuleError;
  /**
   * Work that must finish before the module's prep, counted against the prep's deadline
   * (the core builds a module that needs async providers here); undefined: none.
   */
  beforePrep(runtime: ModuleRuntime): (() => Promise<void>) | undefined;
  /** A stop step failed or overran: the kernel's exit code becomes non-zero. */
  stopFailed(): void;
}

type Step = 'prep' | 'start' | 'stop';

/** A stop that overran nothing: one frozen list, not one per module per stop. */
const NOTHING_OVERRAN: readonly string[] = Object.freeze([]);

/** Share of `stopTimeout` that waiting for a module's work may use; stop() keeps the rest. */
const WORK_SHARE = 0.75;

/**
 * Drives modules through prep, start and stop: dependencies first on the way up,
 * dependents first on the way down, independent modules concurrently, every step bounded.
 */
export class Lifecycle {
  /** Starts completed so far: each module's `startedSeq` orders the stops. */
  private started = 0;
  /**
   * Synchronous passes of a phase under way, and the clock reading that ended the last step
   * in the current one: the next step of the same pass begins at it. The clock can be a
   * syscall (~0.2 µs); a graph of synchronous steps then reads it once per step, not twice.
   * Forgotten whenever code other than the kernel's may have run since.
   */
  private passes = 0;
  private mark: number | undefined = undefined;
  private readonly pass = (inside: boolean): void => {
    this.passes += inside ? 1 : -1;
    this.mark = undefined;
  };

  constructor(private readonly host: LifecycleHost) {}

  /** Preps modules, dependencies first; halts at the first failure. */
  prep(
    modules: readonly ModuleRuntime[],
    halted: () => boolean,
  ): Promise<PhaseResult<ModuleRuntime>> {
    return this.phase(modules, 'up', (m) => this.prepOne(m), true, halted);
  }

  /** Starts modules, dependencies first; halts at the first failure. */
  start(
    modules: readonly ModuleRuntime[],
    halted: () => boolean,
  ): Promise<PhaseResult<ModuleRuntime>> {
    return this.phase(modules, 'up', (m) => this.startOne(m), true, halted);
  }

  /** Stops modules, dependents first; goes on after failures (each is reported). */
  stop(
    modules: readonly ModuleRuntime[],
    halted?: () => boolean,
  ): Promise<PhaseResult<ModuleRuntime>> {
    return this.phase(
      stopOrder(modules, this.started),
      'down',
      (m) => this.stopOne(m),
      false,
      halted,
    );
  }

  /**
   * The shutdown ran out of time: a module still online is told to stop (its signal
   * aborts, stop() is called) without waiting; one still stopping is left to finish.
   * Either is reported and treated as offline from now on. One still preparing or
   * starting is reported; its step is cut off when the kernel's clock closes.
   */
  abandonStop(m: ModuleRuntime, why: string): void {
    if (m.status === 'dead' || m.status === 'offline') return;
    const wasOnline = m.status === 'online';
    const running = m.activities.describe();
    const cause = new KeelError(
      'E_TIMEOUT',
      `${why} while module "${m.name}" was ${m.status}${running === '' ? '' : ` (still running: ${running})`}. ` +
        `It is treated as offline${wasOnline ? '; its stop() was called without waiting' : ''}.`,
      { module: m.name },
    );
    // The one report of the overrun for this module (docs: taskName 'shutdown').
    this.host.report(m, cause, 'shutdown', 'stop');
    // A prep in flight ends on its own: its deadline passes when the clock closes.
    if (m.status === 'preparing') return;
    if (m.status === 'starting') {
      // Cut its start off now (its signal aborts), so none of its dependencies is stopped
      // while it still counts as running; its start() is no longer waited for.
      m.transition('stopping');
      this.host.beginStop(m);
    }
    if (wasOnline) {
      m.transition('stopping');
      this.host.beginStop(m);
      const instance: Record<string, unknown> = m.instance;
      const stop = instance['stop'];
      if (typeof stop === 'function') {
        new Promise<unknown>((resolve) => resolve((stop as () => unknown).call(m.instance))).catch(
          (err: unknown) => this.fail(m, 'stop', err),
        );
      }
    }
    m.forceOffline();
  }

  private phase(
    modules: readonly ModuleRuntime[],
    direction: 'up' | 'down',
    run: (m: ModuleRuntime) => Promise<void> | undefined,
    haltOnError: boolean,
    halted?: () => boolean,
  ): Promise<PhaseResult<ModuleRuntime>> {
    return runPhase({
      nodes: modules,
      waitsFor: direction === 'up' ? dependenciesOf : dependentsOf,
      unblocks: direction === 'up' ? dependentsOf : dependenciesOf,
      slot: slotOf,
      slots: this.host.moduleCount,
      run,
      limit: this.host.limit,
      haltOnError,
      ...(halted === undefined ? {} : { halted }),
      pass: this.pass,
    });
  }

  // The steps below finish synchronously (return undefined) when the module's method does:
  // the phase runner then moves on without a promise per module.

  private prepOne(m: ModuleRuntime): Promise<void> | undefined {
    m.transition('preparing');
    const before = this.host.beforePrep(m);
    if (before !== undefined) {
      const preparing = this.prepAfter(m, before);
      this.mark = undefined; // async providers' factories may have run
      return preparing;
    }
    let running: Promise<void> | undefined;
    try {
      running = this.call(m, 'prep');
    } catch (err) {
      this.prepFailed(m, err);
    }
    if (running === undefined) {
      m.transition('offline');
      return undefined;
    }
    return running.then(
      () => m.transition('offline'),
      (err: unknown) => this.prepFailed(m, err),
    );
  }

  /** The host's work before the prep (async providers), then the prep. */
  private async prepAfter(m: ModuleRuntime, before: () => Promise<void>): Promise<void> {
    const { startTimeoutMs, timers } = this.host;
    try {
      // Async providers count against the prep's deadline: a factory that hangs is named.
      const built = await withDeadline(before(), startTimeoutMs, timers);
      if (built.timedOut)
        throw timeoutError(
          m.name,
          'constructing (async providers)',
          startTimeoutMs,
          'startTimeout',
        );
      await this.call(m, 'prep');
    } catch (err) {
      this.prepFailed(m, err);
    }
    m.transition('offline');
  }

  private prepFailed(m: ModuleRuntime, err: unknown): never {
    if (m.detached && isAbandonment(err)) {
      // Its own code asked for the shutdown: not a failure, the module just never starts.
      m.transition('offline');
      throw err;
    }
    this.fail(m, 'prep', err);
    m.transition('dead');
    throw err;
  }

  private startOne(m: ModuleRuntime): Promise<void> | undefined {
    m.transition('starting');
    let running: Promise<void> | undefined;
    try {
      running = this.call(m, 'start');
      if (running === undefined && this.host.afterStart(m)) this.mark = undefined;
    } catch (err) {
      return this.startFailed(m, err);
    }
    if (running === undefined) {
      this.markOnline(m);
      return undefined;
    }
    return this.finishStart(m, running);
  }

  private async finishStart(m: ModuleRuntime, running: Promise<void>): Promise<void> {
    try {
      await running;
      if (m.status !== 'starting') throw abandoned(m, 'start');
      this.host.afterStart(m);
    } catch (err) {
      // The shutdown gave up on this start (and reported that): the module is offline
      // already. Its own failure, if it failed rather than being cut off, is reported too.
      if (m.status !== 'starting') {
        if (!isAbandonment(err)) this.fail(m, 'start', err);
        throw err;
      }
      if (m.detached && isAbandonment(err)) {
        // Its own start asked for the shutdown: cut off, blamed on nobody, stop() not called.
        m.transition('stopping');
        this.host.beginStop(m);
        m.transition('offline');
        throw err;
      }
      await this.startFailed(m, err);
    }
    this.markOnline(m);
  }

  private markOnline(m: ModuleRuntime): void {
    m.startedSeq = ++this.started;
    // Only a failed start is cleared: no id string per module when there is none.
    if (m.failure.state.status !== 'none' && m.failure.resolve(`${m.name}:start-failed`)) {
      this.mark = undefined; // the change reached listeners
    }
    m.transition('online');
  }

  /** A module whose start failed: stop its work (not its stop(), as it never started). */
  private async startFailed(m: ModuleRuntime, err: unknown): Promise<never> {
    this.fail(m, 'start', err);
    m.transition('stopping');
    this.host.beginStop(m);
    await this.awaitWork(m, this.host.stopTimeoutMs);
    m.transition('offline');
    throw err;
  }

  private stopOne(m: ModuleRuntime): Promise<void> | undefined {
    const began = this.stepBegins();
    m.transition('stopping');
    this.host.beginStop(m);
    m.overran = NOTHING_OVERRAN;
    // Waiting for work takes a deadline and a promise: only when there is some.
    if (m.activities.size > 0 && !m.detached) return this.stopAfterWork(m, began);
    return this.callStop(m, began, this.host.stopTimeoutMs);
  }

  private async stopAfterWork(m: ModuleRuntime, began: number): Promise<void> {
    await this.awaitWork(m, this.host.stopTimeoutMs * WORK_SHARE);
    const { timers, stopTimeoutMs } = this.host;
    await this.callStop(m, began, Math.max(0, stopTimeoutMs - (timers.now() - began)));
  }

  /**
   * Calls stop() with `left` ms of `stopTimeout`; a failure is reported, never thrown.
   * `durations.stop` runs from `began` (the stop's start, waiting for work included).
   */
  private callStop(m: ModuleRuntime, began: number, left: number): Promise<void> | undefined {
    // call(m, 'stop', left, began) spelled out: every module of a graph passes here once per
    // shutdown, and the generic path's keyed store and try/finally cost more than the step.
    const { instance, durations } = m;
    const stop: unknown = Reflect.get(instance, 'stop');
    if (typeof stop !== 'function') {
      durations.stop = this.now() - began;
      m.transition('offline');
      return undefined;
    }
    const token = m.beginStep();
    let returned: unknown;
    try {
      returned = (stop as () => unknown).call(instance);
    } catch (err) {
      durations.stop = this.now() - began;
      this.stopFailed(m, err);
      m.transition('offline');
      return undefined;
    }
    durations.stop = this.now() - began;
    // One clock read for the step: durations.stop is measured, the next step begins there.
    if (!isThenable(returned)) {
      m.transition('offline');
      return undefined;
    }
    const running = this.awaitCall(m, 'stop', returned, left, began, token);
    return running.then(
      () => this.markOffline(m, began),
      (err: unknown) => {
        this.stopFailed(m, err);
        this.markOffline(m, began);
      },
    );
  }

  private stopFailed(m: ModuleRuntime, err: unknown): void {
    this.host.stopFailed();
    // A stop() the shutdown gave up on was reported as the overrun already.
    if (isAbandonment(err)) return;
    this.fail(m, 'stop', err);
  }

  private markOffline(m: ModuleRuntime, began: number): void {
    m.durations.stop = this.host.timers.now() - began;
    m.transition('offline');
  }

  /** Waits up to `ms` for the module's running work; reports what overran. */
  private async awaitWork(m: ModuleRuntime, ms: number): Promise<void> {
    m.overran = NOTHING_OVERRAN;
    if (m.activities.size === 0 || m.detached) return;
    const result = await withDeadline(untilDetached(m, m.activities.idle()), ms, this.host.timers);
    if (!result.timedOut || m.detached) return;
    m.overran = m.activities.list().map((a) => `${a.kind} "${a.name}"`);
    // The clock closed (shutdown overran): no time passed; the overrun report names the work.
    if (this.host.timers.isClosed) return;
    const cause = new KeelError(
      'E_TIMEOUT',
      `Module "${m.name}" stopped with work still running after ${Math.round(ms)} ms ` +
        `(the share of stopTimeout that waiting for work may use; stop() keeps the rest): ${m.overran.join(', ')}. ` +
        `Make that work end when ctx.signal aborts, or raise Kernel.create({ stopTimeout }).`,
      { module: m.name, details: { running: m.overran } },
    );
    this.host.report(m, cause, 'stop module', 'stop');
    this.host.stopFailed();
  }

  /**
   * Calls a lifecycle method. One that returns no promise completes at once (undefined: no
   * deadline, no activity record, no promise); otherwise the returned promise settles when
   * the method's work does, bounded by its deadline; prep and start count as work.
   */
  /** A prep or start call (a stop goes through {@link callStop}). */
  private call(
    m: ModuleRuntime,
    step: 'prep' | 'start',
    budget?: number,
  ): Promise<void> | undefined {
    // Reflect.get, not instance[step]: every module is its own class, so a keyed load here
    // is megamorphic and misses V8's stub cache (in a micro-benchmark of 1,000 classes,
    // 250-680 ns a call against 30-70 ns); same semantics.
    const method: unknown = Reflect.get(m.instance, step);
    if (typeof method !== 'function') {
      m.durations[step] = 0;
      return undefined;
    }
    const start = this.stepBegins();
    const token = m.beginStep();
    let returned: unknown;
    try {
      returned = (method as () => unknown).call(m.instance);
    } finally {
      m.durations[step] = this.now() - start;
    }
    if (!isThenable(returned)) return undefined;
    return this.awaitCall(m, step, returned, budget ?? this.host.startTimeoutMs, start, token);
  }

  private async awaitCall(
    m: ModuleRuntime,
    step: Step,
    returned: PromiseLike<unknown>,
    ms: number,
    began: number,
    token: number,
  ): Promise<void> {
    const timers = this.host.timers;
    const end = step === 'stop' ? undefined : m.begin(step, `${step}()`);
    try {
      const work = Promise.resolve(returned);
      const result = await withDeadline(untilDetached(m, work, token), ms, timers);
      if (!result.timedOut && result.value === DETACHED) {
        // The module's own code awaits the shutdown this step is part of: stop waiting.
        work.catch((err: unknown) => {
          if (!isAbandonment(err)) this.fail(m, step, err);
        });
        if (step !== 'stop') throw abandoned(m, step);
        return;
      }
      if (result.timedOut) {
        work.catch(() => undefined);
        if (timers.isClosed) throw abandoned(m, step);
        throw timeoutError(
          m.name,
          `${step}()`,
          Math.round(ms),
          step === 'stop' ? 'stopTimeout' : 'startTimeout',
        );
      }
    } finally {
      end?.();
      m.durations[step] = timers.now() - began;
    }
  }

  /** Code other than the kernel's ran (a status listener, say): the next step reads the clock. */
  forgetClock(): void {
    this.mark = undefined;
  }

  /** When a step begins: the reading that ended the previous step of this pass, if valid. */
  private stepBegins(): number {
    return this.mark ?? this.now();
  }

  /** Reads the clock; inside a synchronous pass the reading also begins the next step. */
  private now(): number {
    const now = this.host.timers.now();
    if (this.passes > 0) this.mark = now;
    return now;
  }

  private fail(m: ModuleRuntime, step: Step, err: unknown): void {
    this.mark = undefined; // the report reaches listeners
    this.host.report(m, err, `${step} module`, step);
    const title = `${step === 'prep' ? 'Preparing' : step === 'start' ? 'Starting' : 'Stopping'} module ${m.name} failed`;
    m.failure.set(
      'error',
      `${m.name}:${step}-failed`,
      title,
      `Failed to ${step} module: ${describe(err)}`,
    );
  }
}

/**
 * fx's numStarted: the exact reverse of the order in which starts completed (a module
 * completes its start after its dependencies, so dependents still stop first); modules of
 * equal `startedSeq` in reverse list order.
 */
function stopOrder(modules: readonly ModuleRuntime[], started: number): ModuleRuntime[] {
  const n = modules.length;
  // The usual case (every module started, each once since the kernel began): the numbers
  // are distinct, in [1, started], and few are missing, so each module is placed at its
  // rank in one pass instead of a sort.
  if (n > 1 && started < 2 * n) {
    const byRank = new Array<ModuleRuntime | undefined>(started);
    let placed = true;
    for (const m of modules) {
      const at = started - m.startedSeq;
      if (at >= started || byRank[at] !== undefined) {
        placed = false; // not started (0), or equal numbers: the sort orders those
        break;
      }
      byRank[at] = m;
    }
    if (placed) {
      if (started === n) return byRank as ModuleRuntime[];
      return byRank.filter((m): m is ModuleRuntime => m !== undefined);
    }
  }
  return [...modules].reverse().sort((a, b) => b.startedSeq - a.startedSeq);
}

function dependenciesOf(m: ModuleRuntime): readonly ModuleRuntime[] {
  return m.dependencies;
}

/** A module's position in its graph's dependency order: distinct, below the module count. */
function slotOf(m: ModuleRuntime): number {
  return m.index;
}

function dependentsOf(m: ModuleRuntime): readonly ModuleRuntime[] {
  return m.dependents;
}

const DETACHED = Symbol('detached');

/**
 * `work`, or DETACHED as soon as the module is detached (its code asked for the shutdown)
 * while `work` runs. A step begun after that (its stop(), say) is waited for as usual.
 */
function untilDetached<T>(
  m: ModuleRuntime,
  work: Promise<T>,
  token?: number,
): Promise<T | typeof DETACHED> {
  if (token !== undefined && m.detachedIn(token)) return Promise.resolve(DETACHED);
  if (m.detached) return work;
  return new Promise((resolve, reject) => {
    const cancel = m.onDetach(() => resolve(DETACHED));
    work.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (err: unknown) => {
        cancel();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- module errors pass through as thrown
        reject(err);
      },
    );
  });
}

function abandoned(m: ModuleRuntime, step: Step): KeelError {
  return abandonedError(m.name, step);
}

/** True for the error of a step the kernel stopped waiting for (never the module's failure). */
export function isAbandonment(err: unknown): boolean {
  return isKeelError(err, 'E_ABANDONED');
}
