import { createClock, type Clock as SinonClock } from '@sinonjs/fake-timers';
import { toMs, type Clock, type Duration } from '@keel/core';
import { DEFAULT_SETTLE_TURNS, settle } from './settle.js';

/** Node's largest timer delay; longer ones are clamped to it. */
const MAX_DELAY_MS = 2_147_483_647;

/** Default start time of a {@link FakeClock}: 2026-01-01T00:00:00.000Z. */
export const DEFAULT_FAKE_NOW = Date.UTC(2026, 0, 1);

/** Default cap of {@link FakeClock.runUntilIdle}: timers it fires before it gives up. */
export const DEFAULT_MAX_TIMERS = 1000;

/** Options of a {@link FakeClock}. */
export interface FakeClockOptions {
  /** Real macrotask turns of every settle (between timers, after an advance); default 5. */
  settleTurns?: number;
}

/** Options of {@link FakeClock.runUntilIdle}. */
export interface RunUntilIdleOptions {
  /** Timers it may fire before it throws, to stop an endless loop; default 1000. */
  maxTimers?: number;
}

/** A pending timer of the clock, by handle: when it is due. */
interface Pending {
  dueAt: number;
}

/**
 * A {@link Clock} whose time moves only when a test says so, for `Kernel.create({ clock })`
 * (`createTestKernel` makes one for you).
 *
 * It is built on `@sinonjs/fake-timers`' `createClock()` and never installs anything
 * globally: `Date`, `setTimeout`, `queueMicrotask` and `process.nextTick` stay real, so
 * promise code runs normally and only the time the kernel asks its clock for is fake.
 *
 * Timers fire one at a time, in due order (creation order for equal times), with the
 * clock reading their due time; after each one, real promise work is let run
 * ({@link settle}), so an async task body started by a timer finishes before the next
 * timer fires. As in Node, a delay below 1 ms counts as 1 ms.
 * @example
 * ```ts
 * const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
 * const kernel = Kernel.create({ modules: [Feed], clock });
 * await kernel.start();
 * await clock.advance('1h');
 * ```
 */
export class FakeClock implements Clock {
  private readonly sinon: SinonClock;
  private readonly pending = new Map<unknown, Pending>();
  private readonly settleTurns: number;
  /** The driving call in flight (advance, runUntilIdle), to refuse an overlapping one. */
  private driving: string | undefined;
  /** Sum of the wall-clock steps made with `set()`: `monotonic()` ignores them. */
  private wallSteps = 0;

  /**
   * @param start the initial time (default {@link DEFAULT_FAKE_NOW}).
   */
  constructor(start: Date | number = DEFAULT_FAKE_NOW, options: FakeClockOptions = {}) {
    this.sinon = createClock(epochMs(start, 'new FakeClock(start)'));
    const turns = options.settleTurns ?? DEFAULT_SETTLE_TURNS;
    if (!Number.isInteger(turns) || turns < 1) {
      throw new TypeError(
        `FakeClock: settleTurns must be a whole number of at least 1, got ${String(turns)}.`,
      );
    }
    this.settleTurns = turns;
  }

  /** The fake time, in milliseconds since the epoch. */
  now(): number {
    return this.sinon.now;
  }

  /**
   * The fake monotonic time: moves with {@link advance} (and every driving call) like
   * `now()`, but not with {@link set}/{@link stepWall}, as `performance.now()` ignores an
   * NTP step. Starts equal to the start time.
   */
  monotonic(): number {
    return this.sinon.now - this.wallSteps;
  }

  /** Calls `fn` once the fake time has advanced by `ms` (at least 1 ms). */
  setTimeout(fn: () => void, ms: number): unknown {
    const delay = normalizeDelay(ms);
    const entry: Pending = { dueAt: this.sinon.now + delay };
    const handle: unknown = this.sinon.setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, delay);
    this.pending.set(handle, entry);
    return handle;
  }

  /** Cancels a pending timer; an unknown, fired or cancelled handle is ignored. */
  clearTimeout(handle: unknown): void {
    if (!this.pending.delete(handle)) return;
    this.sinon.clearTimeout(handle as Parameters<SinonClock['clearTimeout']>[0]);
  }

  /** How many timers are pending: 0 after a clean shutdown (see `expectNoLeaks()`). */
  get pendingTimers(): number {
    return this.pending.size;
  }

  /** When the earliest pending timer is due, or `undefined` when none is. */
  get nextTimerAt(): number | undefined {
    let next: number | undefined;
    for (const { dueAt } of this.pending.values())
      if (next === undefined || dueAt < next) next = dueAt;
    return next;
  }

  /** Due times of all pending timers, earliest first (for leak reports). */
  pendingDueTimes(): number[] {
    return [...this.pending.values()].map((p) => p.dueAt).sort((a, b) => a - b);
  }

  /**
   * Lets `duration` of fake time pass (a number of ms or a Duration such as `'1h'`, `'7d'`):
   * fires every timer due by then, in order, letting promise work settle after each, then
   * settles once more so work started by the last timer completes. Timers created on the
   * way fire too when they fall within the range.
   * @throws when a timer callback throws (the remaining timers stay pending), or when
   * another `advance()`/`runUntilIdle()` is still in flight.
   */
  async advance(duration: Duration): Promise<void> {
    const ms = toMs(duration, 'FakeClock.advance(duration)');
    await this.drive('advance()', () => this.runTo(this.now() + ms));
  }

  /** Like {@link advance}, up to an absolute time; a time in the past only settles. */
  async advanceTo(at: Date | number): Promise<void> {
    const target = epochMs(at, 'FakeClock.advanceTo(at)');
    await this.drive('advanceTo()', () => this.runTo(Math.max(target, this.now())));
  }

  /**
   * Sets the wall-clock time, like an NTP step or a laptop waking up: `now()` jumps (forward
   * or back), `monotonic()` does not, nothing fires, and pending timers keep their
   * remaining delay, as real `setTimeout`s do. To let time pass and fire what falls due, use {@link advance} or
   * {@link advanceTo}. Mostly useful before a kernel starts, or to test clock jumps.
   */
  set(date: Date | number): void {
    if (this.driving !== undefined) {
      throw new Error(
        `FakeClock.set(): the clock is being advanced by ${this.driving}; await it first.`,
      );
    }
    const next = epochMs(date, 'FakeClock.set(date)');
    const shift = next - this.sinon.now;
    this.wallSteps += shift;
    this.sinon.setSystemTime(next);
    for (const entry of this.pending.values()) entry.dueAt += shift;
  }

  /**
   * Steps the wall clock by `ms` (negative: back), as an NTP correction would: like
   * {@link set}, `now()` jumps, `monotonic()` and pending timers do not move.
   */
  stepWall(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new TypeError(`FakeClock.stepWall(ms): ms must be a finite number, got ${String(ms)}.`);
    }
    this.set(this.now() + ms);
  }

  /**
   * Fires timers, in order, until none is pending (settling after each).
   * @throws after `maxTimers` (default 1000) timers with some still pending: something
   * re-arms forever (a repeating task, a restarting service worker). Use {@link advance}
   * to move by a bounded amount instead, or shut the kernel down first.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<void> {
    const cap = options.maxTimers ?? DEFAULT_MAX_TIMERS;
    if (!Number.isInteger(cap) || cap < 0) {
      throw new TypeError(
        `FakeClock.runUntilIdle: maxTimers must be a whole number, got ${String(cap)}.`,
      );
    }
    await this.drive('runUntilIdle()', async () => {
      const from = this.now();
      let fired = 0;
      for (;;) {
        await this.settle();
        if (this.pending.size === 0) return;
        if (fired >= cap) {
          const next = this.nextTimerAt!;
          throw new Error(
            `FakeClock.runUntilIdle: still ${this.pending.size} timer(s) pending after firing ${fired} ` +
              `(fake time advanced ${this.now() - from} ms; next due at ${iso(next)}). Something re-arms ` +
              `forever, e.g. a repeating task or a restarting service worker. Use clock.advance(duration) to ` +
              `move by a bounded amount, shut the kernel down first, or raise { maxTimers }.`,
          );
        }
        this.fireNext();
        fired++;
      }
    });
  }

  /**
   * Lets pending promise work run without moving fake time: waits a few real macrotask
   * turns (see {@link settle}).
   */
  settle(turns: number = this.settleTurns): Promise<void> {
    return settle(turns);
  }

  private async runTo(target: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.nextTimerAt;
      if (next === undefined || next > target) break;
      this.fireNext();
    }
    // No timer is due by `target`, so this only moves the time.
    if (target > this.sinon.now) this.sinon.tick(target - this.sinon.now);
    await this.settle();
  }

  /** Fires exactly the earliest timer, the clock reading its due time. */
  private fireNext(): void {
    this.sinon.next();
  }

  private async drive(what: string, fn: () => Promise<void>): Promise<void> {
    if (this.driving !== undefined) {
      throw new Error(
        `FakeClock.${what}: the clock is already being advanced by ${this.driving}. ` +
          `Await that call before moving the clock again.`,
      );
    }
    this.driving = what;
    try {
      await fn();
    } finally {
      this.driving = undefined;
    }
  }
}

function normalizeDelay(ms: number): number {
  const n = Math.floor(Number(ms));
  if (!(n >= 1)) return 1;
  return Math.min(n, MAX_DELAY_MS);
}

function epochMs(value: Date | number, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(
      `${what}: expected a valid Date or a number of milliseconds, got ${String(value)}.`,
    );
  }
  return Math.floor(ms);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
