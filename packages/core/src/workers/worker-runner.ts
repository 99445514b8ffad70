import type { WorkOwner } from '../work/work-owner.js';
import { endedByAbort } from '../errors/abort.js';
import { RestartNow } from '../errors/module-error.js';
import { isInstance } from '../errors/safe.js';
import { nextTurn } from '../util/next-turn.js';
import type { Clock } from '../time/clock.js';
import type { TimerHeap } from '../time/timer-heap.js';
import { FAILURE_MEMORY_MS, RestartIntensity, type RestartPolicy } from './restart-policy.js';

/** A running worker, as `inspect()` shows it. */
export interface WorkerInfo {
  readonly module: string;
  readonly name: string;
  readonly service: boolean;
  /** Clock time the current run began. */
  since: number;
  restarts: number;
  lastError: string | undefined;
}

/** What the worker runner needs from its kernel. */
export interface WorkerHost {
  readonly clock: Clock;
  readonly timers: TimerHeap;
  readonly random: () => number;
  /** Restart intensity exceeded with `escalate: 'fail-module'`. */
  failModule(owner: WorkOwner, worker: string, failures: number): void;
  /** The worker ran stable for a window after `failModule`. */
  recoverModule(owner: WorkOwner, worker: string): void;
  /** Restart intensity exceeded with `escalate: 'shutdown'`. */
  shutdownKernel(owner: WorkOwner, worker: string, failures: number): void;
  /** A service worker is about to restart, after `delayMs` (0 with `RestartNow`). */
  onRestart(
    owner: WorkOwner,
    worker: string,
    failures: number,
    delayMs: number,
    immediate: boolean,
  ): void;
}

/**
 * Runs workers for every module of one kernel and keeps the list of those running.
 * A worker counts as running work of its module, so the module's stop waits for it.
 */
export class WorkerRunner {
  private readonly running = new Set<WorkerInfo>();

  constructor(private readonly host: WorkerHost) {}

  /** Workers running now (for inspect). */
  list(module?: string): WorkerInfo[] {
    const all = [...this.running];
    return module === undefined ? all : all.filter((w) => w.module === module);
  }

  /** Runs `fn` now and waits for it; a failure is reported, then rethrown to the caller. */
  async run(owner: WorkOwner, name: string, fn: (signal: AbortSignal) => unknown): Promise<void> {
    const signal = owner.signal;
    const info = this.track(owner, name, false);
    const end = owner.begin('worker', name);
    try {
      await fn(signal);
    } catch (err) {
      if (!endedByAbort(err, signal)) {
        info.lastError = owner.report(err, name, 'worker').message;
        throw err;
      }
    } finally {
      end();
      this.running.delete(info);
    }
  }

  /** Runs `fn` in the background; failures are reported, never unhandled. */
  start(owner: WorkOwner, name: string, fn: (signal: AbortSignal) => unknown): void {
    this.run(owner, name, fn).catch(() => undefined);
  }

  /**
   * Runs `fn` in the background and restarts it after failures: the n-th consecutive
   * failure waits n × backoff (capped, with jitter); `RestartNow` restarts at once; a
   * normal return or the module stopping ends it.
   */
  startService(
    owner: WorkOwner,
    name: string,
    fn: (signal: AbortSignal) => unknown,
    policy: RestartPolicy,
  ): void {
    void this.supervise(owner, name, fn, policy);
  }

  private async supervise(
    owner: WorkOwner,
    name: string,
    fn: (signal: AbortSignal) => unknown,
    policy: RestartPolicy,
  ): Promise<void> {
    const { clock, timers } = this.host;
    const signal = owner.signal;
    const info = this.track(owner, name, true);
    const end = owner.begin('worker', name);
    const intensity = new RestartIntensity(policy);
    const restarts = policy.schedule(() => this.host.random());
    let failures = 0;
    let lastFailure = -Infinity;
    let escalated = false;
    let stableTimer: ReturnType<TimerHeap['after']> | undefined;
    try {
      while (!signal.aborted) {
        try {
          info.since = clock.now();
          await fn(signal);
          return;
        } catch (err) {
          if (endedByAbort(err, signal)) return;
          if (isInstance(err, RestartNow)) {
            info.restarts++;
            this.host.onRestart(owner, name, failures, 0, true);
            // No clock time, but a macrotask: a worker that throws RestartNow at once, for
            // ever, must not hold start() (or every timer) in a loop of microtasks.
            await nextTurn();
            continue;
          }
          info.lastError = owner.report(err, name, 'worker').message;
          if (signal.aborted) return;
          // Monotonic: a wall-clock step neither forgets failures nor keeps them too long.
          const now = timers.now();
          if (now - lastFailure > FAILURE_MEMORY_MS) failures = 0;
          failures++;
          lastFailure = now;
          timers.cancel(stableTimer);
          if (intensity.exceeded(now)) {
            if (policy.escalate === 'shutdown') {
              this.host.shutdownKernel(owner, name, failures);
              return;
            }
            if (!escalated) this.host.failModule(owner, name, failures);
            escalated = true;
          }
          info.restarts++;
          const delayMs = (restarts(now, failures) ?? now) - now;
          this.host.onRestart(owner, name, failures, delayMs, false);
          await timers.sleep(delayMs, signal);
          if (escalated && !signal.aborted) {
            // Resolved by the kernel once the worker has run a whole window without failing.
            stableTimer = timers.after(policy.windowMs, () => {
              escalated = false;
              intensity.reset();
              this.host.recoverModule(owner, name);
            });
          }
        }
      }
    } finally {
      timers.cancel(stableTimer);
      end();
      this.running.delete(info);
    }
  }

  private track(owner: WorkOwner, name: string, service: boolean): WorkerInfo {
    const info: WorkerInfo = {
      module: owner.name,
      name,
      service,
      since: this.host.clock.now(),
      restarts: 0,
      lastError: undefined,
    };
    this.running.add(info);
    return info;
  }
}
