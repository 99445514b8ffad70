import type { Logger } from 'pino';
import type { WorkOwner, WorkRecord } from '../work/work-owner.js';
import type { ModuleMeta } from '../decorators/metadata.js';
import type { ModuleError, TaskType } from '../errors/module-error.js';
import { FailureTracker, type FailureState } from '../failure/failure-state.js';
import type { ModuleNode } from '../graph/module-node.js';
import type { Clock } from '../time/clock.js';
import { ActivitySet } from './activity.js';
import {
  assertTransition,
  moduleMoveAllowed,
  MODULE_TRANSITIONS,
  type ModuleStatus,
} from '../work/module-status.js';

/** The one empty list every runtime starts with (frozen: never written). */
const NONE: readonly never[] = Object.freeze([]);

/** The instance of a module not constructed yet (frozen: shared by every such runtime). */
const NO_INSTANCE: LifecycleMethods & Record<string | symbol, unknown> = Object.freeze({});

/** What a module runtime needs from its kernel. */
export interface RuntimeHost {
  readonly clock: Clock;
  readonly stopReason: unknown;
  onStatus(runtime: ModuleRuntime, from: ModuleStatus, to: ModuleStatus): void;
  onFailure(runtime: ModuleRuntime, state: FailureState): void;
  report(runtime: ModuleRuntime, err: unknown, taskName: string, taskType: TaskType): ModuleError;
}

/** Lifecycle methods a module instance may have. */
export interface LifecycleMethods {
  prep?(): unknown;
  start?(): unknown;
  stop?(): unknown;
}

/**
 * The kernel's record of one module: its status, its current run's signal, its running
 * work, its failure state and timings. The lifecycle moves it; work managers ask it.
 */
export class ModuleRuntime implements WorkOwner {
  instance: LifecycleMethods & Record<string | symbol, unknown> = NO_INSTANCE;
  /** Metadata that drives workers, tasks and hooks (the replacement's, when overridden). */
  readonly meta: ModuleMeta;
  readonly activities = new ActivitySet();
  readonly failure: FailureTracker;
  /** Set while the kernel means to start this module, so hooks and tasks wait for it. */
  planned = false;
  enabled = false;
  enabledAsDependency = false;
  /** Milliseconds the last prep, start and stop took. */
  readonly durations: { prep?: number; start?: number; stop?: number } = {};
  /** The runtimes of its dependencies and dependents, linked once by the kernel ({@link link}). */
  dependencies: readonly ModuleRuntime[] = NONE;
  dependents: readonly ModuleRuntime[] = NONE;
  /** `node.index`, kept here: phases index their counts by it (one object fewer to touch). */
  readonly index: number;
  /** Which start completed this module's last run (1 = first); 0 before any. */
  startedSeq = 0;
  /** Names of work that was still running when the last stop overran (shared empty: none). */
  overran: readonly string[] = NONE;
  private current: ModuleStatus = 'dead';
  private forced = false;
  // Made on first use: most modules of a large graph never read their signal or logger.
  private controller: AbortController | undefined = undefined;
  // Kept beside its controller: the controller's `signal` getter is read per hook call.
  private currentSignal: AbortSignal | undefined = undefined;
  private aborted = false;
  private childLogger: Logger | undefined = undefined;
  private onlineWaiters: Array<(online: boolean) => void> | undefined = undefined;
  private detachedFlag = false;
  /** Lifecycle steps begun so far, and which one was in flight when the module detached. */
  private steps = 0;
  private detachedDuring = 0;
  private detachWaiters: Set<() => void> | undefined = undefined;

  constructor(
    readonly node: ModuleNode,
    meta: ModuleMeta,
    private readonly parentLogger: Logger,
    private readonly host: RuntimeHost,
  ) {
    this.meta = meta;
    this.index = node.index;
    this.failure = new FailureTracker(this);
  }

  /** @internal Its failure tracker's listener: tells the kernel. */
  failureChanged(state: FailureState): void {
    this.host.onFailure(this, state);
  }

  /** Links the runtimes of its dependencies and dependents, once, arrays sized exactly. */
  link(byName: (name: string) => ModuleRuntime): void {
    const { dependencies, dependents } = this.node;
    if (dependencies.length > 0) this.dependencies = dependencies.map(byName);
    if (dependents.length > 0) this.dependents = dependents.map(byName);
  }

  /** A pino child logger with `{ module: name }`. */
  get logger(): Logger {
    return (this.childLogger ??= this.parentLogger.child({ module: this.node.name }));
  }

  get name(): string {
    return this.node.name;
  }

  get status(): ModuleStatus {
    return this.current;
  }

  get signal(): AbortSignal {
    return this.currentSignal ?? this.makeSignal();
  }

  private makeSignal(): AbortSignal {
    const controller = (this.controller = new AbortController());
    if (this.aborted) controller.abort(this.host.stopReason);
    return (this.currentSignal = controller.signal);
  }

  get onlineSoon(): boolean {
    const s = this.current;
    if (s === 'online' || s === 'starting') return true;
    return this.planned && s !== 'stopping';
  }

  whenOnline(): Promise<boolean> {
    if (this.current === 'online') return Promise.resolve(true);
    if (!this.onlineSoon) return Promise.resolve(false);
    return new Promise((resolve) => (this.onlineWaiters ??= []).push(resolve));
  }

  /**
   * True once this module's own code called `ctx.kernel.shutdown()`: the kernel no longer
   * waits for its in-flight step or its running work (docs/lifecycle.md), so that code's
   * `await` of the shutdown cannot deadlock the shutdown.
   */
  get detached(): boolean {
    return this.detachedFlag;
  }

  /** The module asked for the shutdown: stop waiting for it (idempotent). */
  detach(): void {
    if (this.detachedFlag) return;
    this.detachedFlag = true;
    this.detachedDuring = this.steps;
    const waiters = this.detachWaiters;
    this.detachWaiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  /** A lifecycle step (prep, start, stop) begins: its token for {@link detachedIn}. */
  beginStep(): number {
    return ++this.steps;
  }

  /** True when the module detached while step `token` was in flight (it asked from there). */
  detachedIn(token: number): boolean {
    return this.detachedFlag && this.detachedDuring === token;
  }

  /** Calls `wake` once when the module is detached; returns the function that cancels it. */
  onDetach(wake: () => void): () => void {
    if (this.detachedFlag) {
      wake();
      return () => undefined;
    }
    const waiters = (this.detachWaiters ??= new Set());
    waiters.add(wake);
    return () => waiters.delete(wake);
  }

  begin(kind: TaskType, name: string, now?: number): () => void {
    return this.activities.begin(kind, name, now ?? this.host.clock.now());
  }

  enter(record: WorkRecord, kind: TaskType, name: string, now?: number): void {
    this.activities.enter(record, kind, name, now ?? this.host.clock.now());
  }

  leave(record: WorkRecord): void {
    this.activities.end(record);
  }

  park(record: WorkRecord): void {
    this.activities.park(record);
  }

  resume(record: WorkRecord, now: number): void {
    this.activities.resume(record, now);
  }

  forget(record: WorkRecord): void {
    this.activities.forget(record);
  }

  report(err: unknown, taskName: string, taskType: TaskType): ModuleError {
    return this.host.report(this, err, taskName, taskType);
  }

  /** Moves to `to` as the transition table allows, and tells the kernel. */
  transition(to: ModuleStatus): void {
    const from = this.current;
    if (this.forced && from === 'offline' && to === 'offline') return; // a late stop after a forced one
    if (!moduleMoveAllowed(from, to))
      assertTransition(MODULE_TRANSITIONS, `Module "${this.name}"`, from, to);
    this.current = to;
    if (to === 'starting' && this.aborted) {
      // A fresh signal for the new run.
      this.aborted = false;
      this.controller = undefined;
      this.currentSignal = undefined;
    }
    if (to === 'online') this.settleWaiters(true);
    if (to === 'stopping') {
      this.planned = false;
      this.settleWaiters(false);
      this.abort();
    }
    this.host.onStatus(this, from, to);
  }

  /** Shutdown overran: the module counts as offline although its stop has not returned. */
  forceOffline(): void {
    if (this.current !== 'stopping') return;
    this.forced = true;
    this.transition('offline');
  }

  /** The kernel no longer means to start this module (a failed start, a shutdown). */
  unplan(): void {
    this.planned = false;
    if (this.current !== 'online' && this.current !== 'starting') this.settleWaiters(false);
  }

  /** Aborts the signal of work started outside a run (in prep), when the module will not start. */
  abortIdleWork(): void {
    if (this.current !== 'online' && this.current !== 'starting') this.abort();
  }

  private abort(): void {
    this.aborted = true;
    this.controller?.abort(this.host.stopReason);
  }

  private settleWaiters(online: boolean): void {
    const waiters = this.onlineWaiters;
    if (waiters === undefined) return;
    this.onlineWaiters = undefined;
    for (const settle of waiters) settle(online);
  }
}
