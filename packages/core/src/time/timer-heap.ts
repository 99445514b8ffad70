import { nextTurn } from '../util/next-turn.js';
import { monotonicOf, systemClock, type Clock } from './clock.js';

/** A pending deadline in a {@link TimerHeap}. Keep it to cancel or move the deadline. */
export interface Timer {
  /** Due time, in the clock's monotonic milliseconds. */
  readonly at: number;
  /** Position in the heap; negative once fired or cancelled. */
  readonly index: number;
}

/**
 * What the heap holds. A long-lived owner of a deadline (a task) can be its own entry and be
 * added with {@link TimerHeap.move}: no separate entry object and closure per deadline.
 */
export interface TimerEntry extends Timer {
  at: number;
  index: number;
  /** Tie-break among equal due times: first added (or moved) fires first. */
  seq: number;
  /** Called once the clock reached `at`. */
  fire(): void;
}

/** The entry of a plain `at(at, fn)` deadline. */
class FnEntry implements TimerEntry {
  index = -1;
  constructor(
    public at: number,
    public seq: number,
    private readonly fn: () => void,
  ) {}

  fire(): void {
    this.fn();
  }
}

type Entry = TimerEntry;

const MAX_TIMEOUT = 2_147_483_647;

/**
 * Every deadline of one kernel in a binary min-heap, with ONE armed clock timer for the
 * earliest. Adding, cancelling and moving a deadline are O(log n) at worst and O(1) on
 * average for random due times (a new or removed entry is near the bottom, where most
 * entries are); the clock timer is re-armed only when the earliest deadline moves earlier
 * (an early wake-up simply re-arms).
 */
export class TimerHeap {
  private readonly heap: Entry[] = [];
  /**
   * `heap[i].at` at `keys[i]`: a sift compares due times in one array instead of reading
   * entries scattered in memory (it touches an entry only to move it).
   */
  private keys = new Float64Array(64);
  private handle: unknown = undefined;
  private armedAt = Infinity;
  private seq = 0;
  private firing = false;
  private closed = false;
  private readonly monotonic: () => number;
  /** The clock has a monotonic reading: a past reading is a lower bound of the time now. */
  private readonly steady: boolean;
  /** The latest monotonic reading of the heap, when {@link steady}. */
  private reading = -Infinity;
  /**
   * Monotonic minus wall time, read once per synchronous turn (NaN: not read in this turn).
   * Only for the system clock: a fake clock's wall time can be set within a turn.
   */
  private wallOffset = NaN;
  private readonly cachesOffset: boolean;
  private readonly forgetOffset = (): void => {
    this.wallOffset = NaN;
  };

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {
    this.monotonic = monotonicOf(clock);
    this.steady = typeof clock.monotonic === 'function';
    this.cachesOffset = clock === systemClock;
  }

  /**
   * The clock's monotonic time: every deadline of the heap is on it (a wall-clock step
   * does not move it).
   */
  now(): number {
    return this.monotonic();
  }

  /**
   * True once the monotonic clock reached `at`: from the heap's latest reading when that one
   * already passed `at` (it reads the clock as it fires), else from a new one.
   */
  reached(at: number): boolean {
    if (at <= this.reading) return true;
    const now = this.monotonic();
    if (this.steady) this.reading = now;
    return at <= now;
  }

  /**
   * The monotonic time at which the wall clock will read `wallAt`, as of now. With the
   * system clock, the offset between the two is read once per synchronous turn (again in
   * the next): exact unless the wall clock steps within the turn, and then as if it had
   * stepped just after the call.
   */
  fromWall(wallAt: number): number {
    return wallAt + this.offset();
  }

  /** The wall time a monotonic `at` corresponds to, as of now (see {@link fromWall}). */
  toWall(at: number): number {
    return at - this.offset();
  }

  /** Monotonic minus wall time. */
  private offset(): number {
    if (!this.cachesOffset) return this.monotonic() - this.clock.now();
    let offset = this.wallOffset;
    if (offset !== offset) {
      offset = this.wallOffset = this.monotonic() - this.clock.now();
      queueMicrotask(this.forgetOffset);
    }
    return offset;
  }

  /** Number of pending deadlines. */
  get size(): number {
    return this.heap.length;
  }

  /** Calls `fn` once the monotonic clock reaches `at` (never earlier). */
  at(at: number, fn: () => void): Timer {
    const entry = new FnEntry(at, this.seq++, fn);
    // A closed heap never fires and holds nothing.
    if (this.closed) return entry;
    this.grow();
    this.heap.push(entry);
    this.up(this.heap.length - 1);
    this.arm();
    return entry;
  }

  /** Calls `fn` after `ms` milliseconds of clock time. */
  after(ms: number, fn: () => void): Timer {
    return this.at(this.monotonic() + ms, fn);
  }

  /**
   * Cancels a pending deadline; a fired or cancelled one is ignored. Removed at once (the
   * last entry takes its place, a sift of O(1) levels on average): no tombstone to skip,
   * count or compact later, and no map of them.
   */
  cancel(timer: Timer | undefined): void {
    const entry = timer as Entry | undefined;
    if (entry === undefined || entry.index < 0) return;
    this.removeAt(entry.index, entry);
    if (this.heap.length === 0) this.disarm();
  }

  /**
   * Moves a pending deadline to `at`, or adds one that is not in the heap (fired, cancelled,
   * or a {@link TimerEntry} with index -1 that was never added).
   */
  move(timer: Timer, at: number): void {
    const entry = timer as Entry;
    if (this.closed) return;
    entry.at = at;
    entry.seq = this.seq++;
    if (entry.index < 0) {
      this.grow();
      this.heap.push(entry);
      this.up(this.heap.length - 1);
    } else {
      this.up(entry.index);
      this.down(entry.index);
    }
    this.arm();
  }

  /**
   * Resolves after `ms` of clock time, or early (without rejecting) when `signal` aborts.
   * A sleep that is over before it began (aborted signal, closed heap) still resolves on a
   * macrotask: a loop of such sleeps that ignores its signal must not starve the timers
   * (the stop and shutdown deadlines) with an endless chain of microtasks.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true || this.closed) return nextTurn();
    return new Promise((resolve) => {
      const done = (): void => {
        this.cancel(timer);
        if (signal !== undefined) this.forgetSleeper(signal, done);
        resolve();
      };
      const timer = this.after(ms, done);
      if (signal !== undefined) this.addSleeper(signal, done);
    });
  }

  /** Sleepers per signal: ONE abort listener per signal, however many sleep on it. */
  private readonly sleepers = new WeakMap<
    AbortSignal,
    { wake: Set<() => void>; listener: () => void }
  >();

  private addSleeper(signal: AbortSignal, wake: () => void): void {
    let entry = this.sleepers.get(signal);
    if (entry === undefined) {
      const woken = new Set<() => void>();
      const listener = (): void => {
        this.sleepers.delete(signal);
        for (const sleeper of [...woken]) sleeper();
      };
      entry = { wake: woken, listener };
      this.sleepers.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    entry.wake.add(wake);
  }

  private forgetSleeper(signal: AbortSignal, wake: () => void): void {
    const entry = this.sleepers.get(signal);
    if (entry === undefined || !entry.wake.delete(wake) || entry.wake.size > 0) return;
    this.sleepers.delete(signal);
    signal.removeEventListener('abort', entry.listener);
  }

  /**
   * Time is up for good: every pending deadline fires now, in due order (a deadline
   * nobody will wait for any more ends its wait), and nothing is armed again. A deadline
   * added later never fires; waits that use {@link closed} end at once instead.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.heap].sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.clear();
    for (const entry of pending) {
      try {
        entry.fire();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Drops every deadline and the armed clock timer. */
  clear(): void {
    for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined || this.firing) return;
    if (this.handle !== undefined && this.armedAt <= first.at) return;
    this.disarm();
    const delay = Math.min(MAX_TIMEOUT, Math.max(0, first.at - this.monotonic()));
    this.armedAt = first.at;
    this.handle = this.clock.setTimeout(() => this.fire(), delay);
  }

  private disarm(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.handle = undefined;
    this.armedAt = Infinity;
    this.firing = true;
    try {
      // One reading while it shows the next entry due, a new one when it does not (a
      // callback may take time, and a due time is never early).
      let now = this.monotonic();
      if (this.steady) this.reading = now;
      for (let first = this.heap[0]; first !== undefined; first = this.heap[0]) {
        if (first.at > now) {
          now = this.monotonic();
          if (this.steady) this.reading = now;
          if (first.at > now) break;
        }
        this.removeAt(0, first);
        try {
          first.fire();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  /** Makes room for one more entry in {@link keys}. */
  private grow(): void {
    if (this.heap.length < this.keys.length) return;
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }

  /** Removes `removed`, which is at `index` (the caller has it: no read of the slot). */
  private removeAt(index: number, removed: Entry): void {
    const heap = this.heap;
    const last = heap.pop()!;
    removed.index = -1;
    if (index < heap.length) {
      heap[index] = last;
      last.index = index;
      this.keys[index] = last.at;
      if (index > 0 && this.less(last, (index - 1) >> 1)) this.up(index);
      else this.down(index);
    }
  }

  /** `entry` is due before the entry at `pos` (first added or moved first among equals). */
  private less(entry: Entry, pos: number): boolean {
    const at = entry.at;
    const key = this.keys[pos]!;
    return at < key || (at === key && entry.seq < this.heap[pos]!.seq);
  }

  private up(index: number): void {
    const heap = this.heap;
    const keys = this.keys;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      if (!this.less(entry, parentIndex)) break;
      const parent = heap[parentIndex]!;
      heap[index] = parent;
      keys[index] = keys[parentIndex]!;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    keys[index] = entry.at;
    entry.index = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const keys = this.keys;
    const length = heap.length;
    const entry = heap[index]!;
    const at = entry.at;
    const seq = entry.seq;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let key = keys[left]!;
      if (right < length) {
        const rightKey = keys[right]!;
        if (rightKey < key || (rightKey === key && heap[right]!.seq < heap[left]!.seq)) {
          child = right;
          key = rightKey;
        }
      }
      const candidate = heap[child]!;
      if (!(key < at || (key === at && candidate.seq < seq))) break;
      heap[index] = candidate;
      keys[index] = key;
      candidate.index = index;
      index = child;
    }
    heap[index] = entry;
    keys[index] = at;
    entry.index = index;
  }
}
